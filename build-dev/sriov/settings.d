build-dev/sriov/settings.o: sriov/settings.c sriov/sriov.h \
 sriov/internal.h core/cleanup.h
sriov/sriov.h:
sriov/internal.h:
core/cleanup.h:
