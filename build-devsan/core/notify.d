build-devsan/core/notify.o: core/notify.c core/notify.h
core/notify.h:
