build-dev/core/resources.o: core/resources.c core/resources.h \
 core/memory.h core/cleanup.h core/log.h core/sysfs.h core/vm.h \
 core/bus.h core/config.h sriov/sriov.h
core/resources.h:
core/memory.h:
core/cleanup.h:
core/log.h:
core/sysfs.h:
core/vm.h:
core/bus.h:
core/config.h:
sriov/sriov.h:
