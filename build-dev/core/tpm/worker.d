build-dev/core/tpm/worker.o: core/tpm/worker.c core/tpm/worker.h \
 core/devices/tpm_crb.h core/tpm/swtpm.h core/log.h
core/tpm/worker.h:
core/devices/tpm_crb.h:
core/tpm/swtpm.h:
core/log.h:
