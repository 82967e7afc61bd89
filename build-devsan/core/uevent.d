build-devsan/core/uevent.o: core/uevent.c core/uevent.h core/cleanup.h
core/uevent.h:
core/cleanup.h:
