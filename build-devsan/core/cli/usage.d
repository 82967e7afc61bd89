build-devsan/core/cli/usage.o: core/cli/usage.c core/cli/cli.h
core/cli/cli.h:
