build-devsan/core/service.o: core/service.c core/service.h core/control.h \
 core/devices/pm.h core/log.h core/loop.h core/notify.h core/sysfs.h \
 core/vm.h core/bus.h core/config.h core/memory.h sriov/sriov.h
core/service.h:
core/control.h:
core/devices/pm.h:
core/log.h:
core/loop.h:
core/notify.h:
core/sysfs.h:
core/vm.h:
core/bus.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
