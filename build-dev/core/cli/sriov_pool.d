build-dev/core/cli/sriov_pool.o: core/cli/sriov_pool.c core/cleanup.h \
 core/cli/cli.h core/cli/sriov_cli.h sriov/sriov.h core/config.h \
 core/memory.h core/log.h iommu/iommu.h
core/cleanup.h:
core/cli/cli.h:
core/cli/sriov_cli.h:
sriov/sriov.h:
core/config.h:
core/memory.h:
core/log.h:
iommu/iommu.h:
