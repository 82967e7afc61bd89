build-devsan/vfio/config.o: vfio/config.c core/bytes.h core/log.h \
 vfio/internal.h core/pci.h iommu/iommu.h
core/bytes.h:
core/log.h:
vfio/internal.h:
core/pci.h:
iommu/iommu.h:
