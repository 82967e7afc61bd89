build-dev/core/bus.o: core/bus.c core/bus.h
core/bus.h:
