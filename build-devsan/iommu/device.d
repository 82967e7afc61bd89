build-devsan/iommu/device.o: iommu/device.c core/cleanup.h core/sysfs.h \
 iommu/internal.h iommu/iommu.h
core/cleanup.h:
core/sysfs.h:
iommu/internal.h:
iommu/iommu.h:
