build-devsan/iommu/bdf.o: iommu/bdf.c iommu/iommu.h
iommu/iommu.h:
