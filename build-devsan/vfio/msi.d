build-devsan/vfio/msi.o: vfio/msi.c core/bytes.h core/log.h core/vm.h \
 core/bus.h core/config.h core/memory.h sriov/sriov.h vfio/internal.h \
 core/pci.h iommu/iommu.h
core/bytes.h:
core/log.h:
core/vm.h:
core/bus.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
vfio/internal.h:
core/pci.h:
iommu/iommu.h:
