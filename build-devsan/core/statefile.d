build-devsan/core/statefile.o: core/statefile.c core/statefile.h \
 core/cleanup.h
core/statefile.h:
core/cleanup.h:
