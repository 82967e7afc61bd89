build-dev/core/guest/console.o: core/guest/console.S core/guest/guest.h
core/guest/guest.h:
