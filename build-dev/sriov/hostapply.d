build-dev/sriov/hostapply.o: sriov/hostapply.c sriov/internal.h \
 sriov/sriov.h core/cleanup.h core/sysfs.h iommu/iommu.h
sriov/internal.h:
sriov/sriov.h:
core/cleanup.h:
core/sysfs.h:
iommu/iommu.h:
