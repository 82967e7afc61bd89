build-dev/core/guest/entry.o: core/guest/entry.S core/guest/guest.h
core/guest/guest.h:
