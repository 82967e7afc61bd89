build-devsan/iommu/query.o: iommu/query.c core/cleanup.h core/sysfs.h \
 iommu/internal.h iommu/iommu.h
core/cleanup.h:
core/sysfs.h:
iommu/internal.h:
iommu/iommu.h:
