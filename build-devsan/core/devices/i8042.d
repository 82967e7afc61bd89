build-devsan/core/devices/i8042.o: core/devices/i8042.c \
 core/devices/platform.h core/layout.h core/vm.h core/bus.h core/config.h \
 core/memory.h sriov/sriov.h
core/devices/platform.h:
core/layout.h:
core/vm.h:
core/bus.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
