build-devsan/iommu/hostcheck.o: iommu/hostcheck.c core/cleanup.h \
 core/sysfs.h iommu/internal.h iommu/iommu.h
core/cleanup.h:
core/sysfs.h:
iommu/internal.h:
iommu/iommu.h:
