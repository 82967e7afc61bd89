build-devsan/core/main.o: core/main.c core/cleanup.h core/cli/cli.h
core/cleanup.h:
core/cli/cli.h:
