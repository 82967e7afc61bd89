build-devsan/core/cpuid.o: core/cpuid.c core/cpuid.h
core/cpuid.h:
