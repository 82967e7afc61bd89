build-devsan/vfio/irq.o: vfio/irq.c core/kvm.h core/vm.h core/bus.h \
 core/config.h core/memory.h sriov/sriov.h vfio/internal.h core/pci.h \
 iommu/iommu.h
core/kvm.h:
core/vm.h:
core/bus.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
vfio/internal.h:
core/pci.h:
iommu/iommu.h:
