build-dev/core/guest/reset.o: core/guest/reset.S core/guest/guest.h
core/guest/guest.h:
