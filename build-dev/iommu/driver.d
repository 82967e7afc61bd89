build-dev/iommu/driver.o: iommu/driver.c core/sysfs.h core/uevent.h \
 core/cleanup.h iommu/internal.h iommu/iommu.h
core/sysfs.h:
core/uevent.h:
core/cleanup.h:
iommu/internal.h:
iommu/iommu.h:
