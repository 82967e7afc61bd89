build-devsan/core/cli/sriov.o: core/cli/sriov.c core/cleanup.h \
 core/cli/cli.h core/cli/sriov_cli.h sriov/sriov.h core/log.h \
 core/sysfs.h
core/cleanup.h:
core/cli/cli.h:
core/cli/sriov_cli.h:
sriov/sriov.h:
core/log.h:
core/sysfs.h:
