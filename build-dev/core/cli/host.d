build-dev/core/cli/host.o: core/cli/host.c core/cli/cli.h core/log.h \
 iommu/iommu.h
core/cli/cli.h:
core/log.h:
iommu/iommu.h:
