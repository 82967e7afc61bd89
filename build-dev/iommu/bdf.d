build-dev/iommu/bdf.o: iommu/bdf.c iommu/iommu.h
iommu/iommu.h:
