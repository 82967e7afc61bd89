build-devsan/core/control.o: core/control.c core/control.h core/cleanup.h \
 core/log.h core/loop.h core/vm.h core/bus.h core/config.h core/memory.h \
 sriov/sriov.h
core/control.h:
core/cleanup.h:
core/log.h:
core/loop.h:
core/vm.h:
core/bus.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
