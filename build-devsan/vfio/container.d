build-devsan/vfio/container.o: vfio/container.c core/cleanup.h \
 vfio/internal.h core/pci.h iommu/iommu.h
core/cleanup.h:
vfio/internal.h:
core/pci.h:
iommu/iommu.h:
