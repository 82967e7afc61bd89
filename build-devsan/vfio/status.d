build-devsan/vfio/status.o: vfio/status.c core/vm.h core/bus.h \
 core/config.h core/memory.h sriov/sriov.h vfio/internal.h core/pci.h \
 iommu/iommu.h vfio/vfio.h
core/vm.h:
core/bus.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
vfio/internal.h:
core/pci.h:
iommu/iommu.h:
vfio/vfio.h:
