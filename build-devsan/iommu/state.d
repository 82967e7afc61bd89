build-devsan/iommu/state.o: iommu/state.c core/cleanup.h core/statefile.h \
 core/sysfs.h iommu/internal.h iommu/iommu.h
core/cleanup.h:
core/statefile.h:
core/sysfs.h:
iommu/internal.h:
iommu/iommu.h:
