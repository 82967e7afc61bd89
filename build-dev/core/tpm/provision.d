build-dev/core/tpm/provision.o: core/tpm/provision.c core/tpm/provision.h \
 core/cleanup.h
core/tpm/provision.h:
core/cleanup.h:
