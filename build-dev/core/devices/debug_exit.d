build-dev/core/devices/debug_exit.o: core/devices/debug_exit.c \
 core/devices/platform.h core/layout.h core/vm.h core/bus.h core/config.h \
 core/memory.h sriov/sriov.h
core/devices/platform.h:
core/layout.h:
core/vm.h:
core/bus.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
