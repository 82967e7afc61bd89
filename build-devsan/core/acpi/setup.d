build-devsan/core/acpi/setup.o: core/acpi/setup.c core/acpi/acpi.h \
 core/cleanup.h core/layout.h core/log.h core/pci.h core/vcpu.h core/vm.h \
 core/bus.h core/config.h core/memory.h sriov/sriov.h
core/acpi/acpi.h:
core/cleanup.h:
core/layout.h:
core/log.h:
core/pci.h:
core/vcpu.h:
core/vm.h:
core/bus.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
