build-dev/iommu/host.o: iommu/host.c core/sysfs.h iommu/internal.h \
 iommu/iommu.h
core/sysfs.h:
iommu/internal.h:
iommu/iommu.h:
