build-devsan/core/acpi/tpm2.o: core/acpi/tpm2.c core/acpi/table.h \
 core/acpi/acpi.h
core/acpi/table.h:
core/acpi/acpi.h:
