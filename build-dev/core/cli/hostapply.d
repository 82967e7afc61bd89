build-dev/core/cli/hostapply.o: core/cli/hostapply.c core/cleanup.h \
 core/cli/cli.h core/log.h iommu/iommu.h sriov/sriov.h
core/cleanup.h:
core/cli/cli.h:
core/log.h:
iommu/iommu.h:
sriov/sriov.h:
