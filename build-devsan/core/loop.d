build-devsan/core/loop.o: core/loop.c core/loop.h core/cleanup.h \
 core/console.h core/devices/serial.h core/log.h core/service.h core/vm.h \
 core/bus.h core/config.h core/memory.h sriov/sriov.h
core/loop.h:
core/cleanup.h:
core/console.h:
core/devices/serial.h:
core/log.h:
core/service.h:
core/vm.h:
core/bus.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
