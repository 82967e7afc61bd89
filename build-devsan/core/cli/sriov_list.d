build-devsan/core/cli/sriov_list.o: core/cli/sriov_list.c core/cleanup.h \
 core/cli/cli.h core/cli/sriov_cli.h sriov/sriov.h core/log.h \
 core/sysfs.h
core/cleanup.h:
core/cli/cli.h:
core/cli/sriov_cli.h:
sriov/sriov.h:
core/log.h:
core/sysfs.h:
