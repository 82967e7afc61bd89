build-devsan/core/tpm/tpm2_cmd.o: core/tpm/tpm2_cmd.c core/tpm/tpm2_cmd.h \
 core/tpm/digest.h
core/tpm/tpm2_cmd.h:
core/tpm/digest.h:
