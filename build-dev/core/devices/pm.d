build-dev/core/devices/pm.o: core/devices/pm.c core/devices/pm.h \
 core/acpi/acpi.h core/layout.h core/log.h core/vm.h core/bus.h \
 core/config.h core/memory.h sriov/sriov.h
core/devices/pm.h:
core/acpi/acpi.h:
core/layout.h:
core/log.h:
core/vm.h:
core/bus.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
