build-dev/core/acpi/aml.o: core/acpi/aml.c core/acpi/aml.h
core/acpi/aml.h:
