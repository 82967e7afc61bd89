build-devsan/vfio/intx.o: vfio/intx.c core/vm.h core/bus.h core/config.h \
 core/memory.h sriov/sriov.h vfio/internal.h core/pci.h iommu/iommu.h
core/vm.h:
core/bus.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
vfio/internal.h:
core/pci.h:
iommu/iommu.h:
