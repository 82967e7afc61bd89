build-dev/sriov/pf.o: sriov/pf.c sriov/sriov.h core/cleanup.h \
 core/sysfs.h
sriov/sriov.h:
core/cleanup.h:
core/sysfs.h:
