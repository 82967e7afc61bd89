build-devsan/iommu/json.o: iommu/json.c iommu/iommu_json.h iommu/iommu.h
iommu/iommu_json.h:
iommu/iommu.h:
