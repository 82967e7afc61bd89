build-dev/core/acpi/aml_res.o: core/acpi/aml_res.c core/acpi/aml.h
core/acpi/aml.h:
