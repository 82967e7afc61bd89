build-dev/core/memory.o: core/memory.c core/memory.h core/layout.h
core/memory.h:
core/layout.h:
