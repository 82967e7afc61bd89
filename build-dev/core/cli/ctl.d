build-dev/core/cli/ctl.o: core/cli/ctl.c core/cleanup.h core/cli/cli.h \
 core/cli/ctl.h core/control.h core/log.h core/sysfs.h
core/cleanup.h:
core/cli/cli.h:
core/cli/ctl.h:
core/control.h:
core/log.h:
core/sysfs.h:
