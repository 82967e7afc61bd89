build-dev/iommu/restore.o: iommu/restore.c core/cleanup.h core/uevent.h \
 iommu/internal.h iommu/iommu.h
core/cleanup.h:
core/uevent.h:
iommu/internal.h:
iommu/iommu.h:
