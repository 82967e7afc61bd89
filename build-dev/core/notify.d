build-dev/core/notify.o: core/notify.c core/notify.h
core/notify.h:
