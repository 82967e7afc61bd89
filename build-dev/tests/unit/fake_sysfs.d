build-dev/tests/unit/fake_sysfs.o: tests/unit/fake_sysfs.c \
 tests/unit/fake_sysfs.h
tests/unit/fake_sysfs.h:
