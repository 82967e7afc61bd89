build-devsan/sriov/numvfs.o: sriov/numvfs.c sriov/sriov.h core/sysfs.h \
 core/uevent.h core/cleanup.h
sriov/sriov.h:
core/sysfs.h:
core/uevent.h:
core/cleanup.h:
