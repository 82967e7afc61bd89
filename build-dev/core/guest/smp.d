build-dev/core/guest/smp.o: core/guest/smp.S core/guest/guest.h
core/guest/guest.h:
