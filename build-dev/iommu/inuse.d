build-dev/iommu/inuse.o: iommu/inuse.c core/cleanup.h core/sysfs.h \
 iommu/internal.h iommu/iommu.h
core/cleanup.h:
core/sysfs.h:
iommu/internal.h:
iommu/iommu.h:
