build-dev/core/acpi/fadt.o: core/acpi/fadt.c core/acpi/table.h \
 core/acpi/acpi.h
core/acpi/table.h:
core/acpi/acpi.h:
