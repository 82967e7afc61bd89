build-dev/core/tpm/eventlog.o: core/tpm/eventlog.c core/tpm/eventlog.h \
 core/tpm/digest.h core/cleanup.h
core/tpm/eventlog.h:
core/tpm/digest.h:
core/cleanup.h:
