build-dev/sriov/poolconf.o: sriov/poolconf.c sriov/sriov.h \
 sriov/internal.h core/cleanup.h core/ini.h
sriov/sriov.h:
sriov/internal.h:
core/cleanup.h:
core/ini.h:
