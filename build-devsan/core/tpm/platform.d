build-devsan/core/tpm/platform.o: core/tpm/platform.c core/tpm/platform.h \
 core/config.h core/memory.h sriov/sriov.h core/sysfs.h
core/tpm/platform.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
core/sysfs.h:
