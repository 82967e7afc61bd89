build-dev/vfio/host.o: vfio/host.c core/cleanup.h core/config.h \
 core/memory.h sriov/sriov.h core/log.h vfio/internal.h core/pci.h \
 iommu/iommu.h
core/cleanup.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
core/log.h:
vfio/internal.h:
core/pci.h:
iommu/iommu.h:
