build-dev/core/tpm/measure.o: core/tpm/measure.c core/tpm/measure.h \
 core/config.h core/memory.h sriov/sriov.h core/tpm/eventlog.h \
 core/tpm/digest.h core/tpm/platform.h core/boot/boot.h
core/tpm/measure.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
core/tpm/eventlog.h:
core/tpm/digest.h:
core/tpm/platform.h:
core/boot/boot.h:
