build-dev/core/acpi/tables.o: core/acpi/tables.c core/acpi/table.h \
 core/acpi/acpi.h
core/acpi/table.h:
core/acpi/acpi.h:
