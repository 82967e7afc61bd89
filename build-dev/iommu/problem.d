build-dev/iommu/problem.o: iommu/problem.c core/sysfs.h iommu/internal.h \
 iommu/iommu.h
core/sysfs.h:
iommu/internal.h:
iommu/iommu.h:
