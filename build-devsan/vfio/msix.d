build-devsan/vfio/msix.o: vfio/msix.c core/log.h core/vm.h core/bus.h \
 core/config.h core/memory.h sriov/sriov.h vfio/internal.h core/pci.h \
 iommu/iommu.h
core/log.h:
core/vm.h:
core/bus.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
vfio/internal.h:
core/pci.h:
iommu/iommu.h:
