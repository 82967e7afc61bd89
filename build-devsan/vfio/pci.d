build-devsan/vfio/pci.o: vfio/pci.c core/vm.h core/bus.h core/config.h \
 core/memory.h sriov/sriov.h vfio/internal.h core/pci.h iommu/iommu.h
core/vm.h:
core/bus.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
vfio/internal.h:
core/pci.h:
iommu/iommu.h:
