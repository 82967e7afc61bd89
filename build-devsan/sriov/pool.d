build-devsan/sriov/pool.o: sriov/pool.c sriov/sriov.h core/cleanup.h \
 core/statefile.h core/sysfs.h iommu/iommu.h
sriov/sriov.h:
core/cleanup.h:
core/statefile.h:
core/sysfs.h:
iommu/iommu.h:
