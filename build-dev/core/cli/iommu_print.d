build-dev/core/cli/iommu_print.o: core/cli/iommu_print.c \
 core/cli/iommu_print.h iommu/iommu.h
core/cli/iommu_print.h:
iommu/iommu.h:
