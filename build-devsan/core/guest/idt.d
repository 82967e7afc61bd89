build-devsan/core/guest/idt.o: core/guest/idt.S core/guest/guest.h
core/guest/guest.h:
