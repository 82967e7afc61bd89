build-devsan/vfio/kvmdev.o: vfio/kvmdev.c vfio/internal.h core/pci.h \
 iommu/iommu.h
vfio/internal.h:
core/pci.h:
iommu/iommu.h:
