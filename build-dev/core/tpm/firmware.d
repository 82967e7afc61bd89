build-dev/core/tpm/firmware.o: core/tpm/firmware.c core/tpm/firmware.h \
 core/config.h core/memory.h sriov/sriov.h core/tpm/platform.h \
 core/tpm/swtpm.h core/log.h core/tpm/measure.h core/tpm/eventlog.h \
 core/tpm/digest.h core/tpm/tpm2_cmd.h
core/tpm/firmware.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
core/tpm/platform.h:
core/tpm/swtpm.h:
core/log.h:
core/tpm/measure.h:
core/tpm/eventlog.h:
core/tpm/digest.h:
core/tpm/tpm2_cmd.h:
