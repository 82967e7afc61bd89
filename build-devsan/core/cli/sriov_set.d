build-devsan/core/cli/sriov_set.o: core/cli/sriov_set.c core/cleanup.h \
 core/cli/cli.h core/cli/sriov_cli.h sriov/sriov.h core/log.h \
 core/sysfs.h
core/cleanup.h:
core/cli/cli.h:
core/cli/sriov_cli.h:
sriov/sriov.h:
core/log.h:
core/sysfs.h:
