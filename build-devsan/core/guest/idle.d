build-devsan/core/guest/idle.o: core/guest/idle.S core/guest/guest.h
core/guest/guest.h:
