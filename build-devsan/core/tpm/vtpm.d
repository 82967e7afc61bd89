build-devsan/core/tpm/vtpm.o: core/tpm/vtpm.c core/tpm/vtpm.h \
 core/config.h core/memory.h sriov/sriov.h core/cleanup.h \
 core/devices/tpm_crb.h core/layout.h core/log.h core/sysfs.h \
 core/tpm/firmware.h core/tpm/platform.h core/tpm/swtpm.h \
 core/tpm/provision.h core/tpm/statedir.h core/tpm/worker.h core/vm.h \
 core/bus.h
core/tpm/vtpm.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
core/cleanup.h:
core/devices/tpm_crb.h:
core/layout.h:
core/log.h:
core/sysfs.h:
core/tpm/firmware.h:
core/tpm/platform.h:
core/tpm/swtpm.h:
core/tpm/provision.h:
core/tpm/statedir.h:
core/tpm/worker.h:
core/vm.h:
core/bus.h:
