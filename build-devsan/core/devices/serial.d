build-devsan/core/devices/serial.o: core/devices/serial.c \
 core/devices/serial.h core/layout.h core/log.h core/vm.h core/bus.h \
 core/config.h core/memory.h sriov/sriov.h
core/devices/serial.h:
core/layout.h:
core/log.h:
core/vm.h:
core/bus.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
