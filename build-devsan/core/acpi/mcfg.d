build-devsan/core/acpi/mcfg.o: core/acpi/mcfg.c core/acpi/table.h \
 core/acpi/acpi.h
core/acpi/table.h:
core/acpi/acpi.h:
