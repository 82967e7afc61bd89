build-dev/sriov/hostconf.o: sriov/hostconf.c sriov/internal.h \
 sriov/sriov.h core/cleanup.h core/ini.h
sriov/internal.h:
sriov/sriov.h:
core/cleanup.h:
core/ini.h:
