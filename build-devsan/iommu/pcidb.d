build-devsan/iommu/pcidb.o: iommu/pcidb.c core/log.h iommu/internal.h \
 iommu/iommu.h
core/log.h:
iommu/internal.h:
iommu/iommu.h:
