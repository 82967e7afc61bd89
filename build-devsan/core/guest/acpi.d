build-devsan/core/guest/acpi.o: core/guest/acpi.S core/guest/guest.h
core/guest/guest.h:
