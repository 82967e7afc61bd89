build-devsan/core/sysfs.o: core/sysfs.c core/sysfs.h core/cleanup.h
core/sysfs.h:
core/cleanup.h:
