build-dev/core/guest/acpi.o: core/guest/acpi.S core/guest/guest.h
core/guest/guest.h:
