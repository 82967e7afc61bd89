build-dev/core/devices/rtc.o: core/devices/rtc.c core/devices/rtc.h \
 core/acpi/acpi.h core/layout.h core/vm.h core/bus.h core/config.h \
 core/memory.h sriov/sriov.h
core/devices/rtc.h:
core/acpi/acpi.h:
core/layout.h:
core/vm.h:
core/bus.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
