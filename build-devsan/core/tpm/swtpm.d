build-devsan/core/tpm/swtpm.o: core/tpm/swtpm.c core/tpm/swtpm.h \
 core/cleanup.h core/tpm/tpm2_cmd.h core/tpm/digest.h
core/tpm/swtpm.h:
core/cleanup.h:
core/tpm/tpm2_cmd.h:
core/tpm/digest.h:
