build-dev/vfio/vm.o: vfio/vm.c core/log.h core/resources.h core/memory.h \
 core/vm.h core/bus.h core/config.h sriov/sriov.h vfio/internal.h \
 core/pci.h iommu/iommu.h vfio/vfio.h
core/log.h:
core/resources.h:
core/memory.h:
core/vm.h:
core/bus.h:
core/config.h:
sriov/sriov.h:
vfio/internal.h:
core/pci.h:
iommu/iommu.h:
vfio/vfio.h:
