build-dev/core/tpm/digest.o: core/tpm/digest.c core/tpm/digest.h \
 core/cleanup.h
core/tpm/digest.h:
core/cleanup.h:
