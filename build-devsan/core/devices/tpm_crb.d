build-devsan/core/devices/tpm_crb.o: core/devices/tpm_crb.c \
 core/devices/tpm_crb.h core/tpm/tpm2_cmd.h core/tpm/digest.h
core/devices/tpm_crb.h:
core/tpm/tpm2_cmd.h:
core/tpm/digest.h:
