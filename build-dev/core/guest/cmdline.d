build-dev/core/guest/cmdline.o: core/guest/cmdline.S core/guest/guest.h
core/guest/guest.h:
