build-devsan/core/console.o: core/console.c core/console.h
core/console.h:
