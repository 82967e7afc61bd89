build-devsan/core/boot/bzimage.o: core/boot/bzimage.c core/boot/bzimage.h \
 core/memory.h core/layout.h
core/boot/bzimage.h:
core/memory.h:
core/layout.h:
