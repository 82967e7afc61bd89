build-devsan/sriov/acquire.o: sriov/acquire.c sriov/sriov.h \
 core/cleanup.h core/sysfs.h iommu/iommu.h
sriov/sriov.h:
core/cleanup.h:
core/sysfs.h:
iommu/iommu.h:
