build-devsan/core/cli/run.o: core/cli/run.c core/boot/boot.h \
 core/cleanup.h core/cli/cli.h core/cli/run.h core/config.h core/memory.h \
 sriov/sriov.h core/control.h core/log.h core/tpm/vtpm.h core/sysfs.h \
 core/vm.h core/bus.h
core/boot/boot.h:
core/cleanup.h:
core/cli/cli.h:
core/cli/run.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
core/control.h:
core/log.h:
core/tpm/vtpm.h:
core/sysfs.h:
core/vm.h:
core/bus.h:
