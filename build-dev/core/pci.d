build-dev/core/pci.o: core/pci.c core/pci.h core/kvm.h core/layout.h \
 core/bytes.h core/log.h core/vm.h core/bus.h core/config.h core/memory.h \
 sriov/sriov.h
core/pci.h:
core/kvm.h:
core/layout.h:
core/bytes.h:
core/log.h:
core/vm.h:
core/bus.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
