build-devsan/core/tpm/statedir.o: core/tpm/statedir.c core/tpm/statedir.h \
 core/cleanup.h
core/tpm/statedir.h:
core/cleanup.h:
