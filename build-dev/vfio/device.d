build-dev/vfio/device.o: vfio/device.c core/cleanup.h vfio/internal.h \
 core/pci.h iommu/iommu.h
core/cleanup.h:
vfio/internal.h:
core/pci.h:
iommu/iommu.h:
