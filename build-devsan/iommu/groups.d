build-devsan/iommu/groups.o: iommu/groups.c core/cleanup.h core/sysfs.h \
 iommu/internal.h iommu/iommu.h
core/cleanup.h:
core/sysfs.h:
iommu/internal.h:
iommu/iommu.h:
