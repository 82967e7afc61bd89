build-devsan/core/acpi/madt.o: core/acpi/madt.c core/acpi/table.h \
 core/acpi/acpi.h
core/acpi/table.h:
core/acpi/acpi.h:
