build-devsan/core/cli/vfio.o: core/cli/vfio.c core/cleanup.h \
 core/cli/cli.h core/log.h core/sysfs.h iommu/iommu.h sriov/sriov.h
core/cleanup.h:
core/cli/cli.h:
core/log.h:
core/sysfs.h:
iommu/iommu.h:
sriov/sriov.h:
