build-dev/core/guest/lapic.o: core/guest/lapic.S core/guest/guest.h
core/guest/guest.h:
