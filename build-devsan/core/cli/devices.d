build-devsan/core/cli/devices.o: core/cli/devices.c core/cleanup.h \
 core/cli/cli.h core/cli/iommu_print.h iommu/iommu.h core/log.h \
 iommu/iommu_json.h
core/cleanup.h:
core/cli/cli.h:
core/cli/iommu_print.h:
iommu/iommu.h:
core/log.h:
iommu/iommu_json.h:
