build-devsan/core/cli/tpm.o: core/cli/tpm.c core/cleanup.h core/cli/cli.h \
 core/cli/run.h core/config.h core/memory.h sriov/sriov.h core/log.h \
 core/tpm/eventlog.h core/tpm/digest.h core/tpm/measure.h \
 core/tpm/platform.h core/tpm/statedir.h
core/cleanup.h:
core/cli/cli.h:
core/cli/run.h:
core/config.h:
core/memory.h:
sriov/sriov.h:
core/log.h:
core/tpm/eventlog.h:
core/tpm/digest.h:
core/tpm/measure.h:
core/tpm/platform.h:
core/tpm/statedir.h:
