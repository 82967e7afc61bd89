build-dev/core/boot/boot.o: core/boot/boot.c core/boot/boot.h \
 core/boot/bzimage.h core/memory.h core/boot/image.h core/boot/pvh.h \
 core/cleanup.h core/layout.h core/log.h core/vm.h core/bus.h \
 core/config.h sriov/sriov.h
core/boot/boot.h:
core/boot/bzimage.h:
core/memory.h:
core/boot/image.h:
core/boot/pvh.h:
core/cleanup.h:
core/layout.h:
core/log.h:
core/vm.h:
core/bus.h:
core/config.h:
sriov/sriov.h:
