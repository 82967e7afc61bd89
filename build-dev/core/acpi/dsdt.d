build-dev/core/acpi/dsdt.o: core/acpi/dsdt.c core/acpi/aml.h \
 core/acpi/table.h core/acpi/acpi.h core/layout.h
core/acpi/aml.h:
core/acpi/table.h:
core/acpi/acpi.h:
core/layout.h:
