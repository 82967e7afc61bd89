build-dev/core/config.o: core/config.c core/config.h core/memory.h \
 sriov/sriov.h core/cleanup.h core/ini.h iommu/iommu.h core/resources.h
core/config.h:
core/memory.h:
sriov/sriov.h:
core/cleanup.h:
core/ini.h:
iommu/iommu.h:
core/resources.h:
