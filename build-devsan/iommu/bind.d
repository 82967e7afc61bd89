build-devsan/iommu/bind.o: iommu/bind.c core/cleanup.h core/uevent.h \
 iommu/internal.h iommu/iommu.h
core/cleanup.h:
core/uevent.h:
iommu/internal.h:
iommu/iommu.h:
