build-dev/core/boot/pvh.o: core/boot/pvh.c core/boot/pvh.h \
 core/boot/image.h core/memory.h core/cleanup.h
core/boot/pvh.h:
core/boot/image.h:
core/memory.h:
core/cleanup.h:
