build-dev/vfio/rom.o: vfio/rom.c core/cleanup.h core/vm.h core/bus.h \
 core/config.h core/memory.h sriov/sriov.h vfio/internal.h core/pci.h \
 iommu/iommu.h
core/cleanup.h:
core/vm.h:
core/bus.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
vfio/internal.h:
core/pci.h:
iommu/iommu.h:
