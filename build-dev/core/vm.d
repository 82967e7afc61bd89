build-dev/core/vm.o: core/vm.c core/vm.h core/bus.h core/config.h \
 core/memory.h sriov/sriov.h core/acpi/acpi.h core/boot/boot.h \
 core/cleanup.h core/devices/platform.h core/devices/pm.h \
 core/devices/rtc.h core/devices/serial.h core/kvm.h core/log.h \
 core/loop.h core/pci.h core/tpm/vtpm.h core/resources.h core/service.h \
 core/vcpu.h vfio/vfio.h
core/vm.h:
core/bus.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
core/acpi/acpi.h:
core/boot/boot.h:
core/cleanup.h:
core/devices/platform.h:
core/devices/pm.h:
core/devices/rtc.h:
core/devices/serial.h:
core/kvm.h:
core/log.h:
core/loop.h:
core/pci.h:
core/tpm/vtpm.h:
core/resources.h:
core/service.h:
core/vcpu.h:
vfio/vfio.h:
