// SPDX-License-Identifier: GPL-2.0-only
/*
 * MCFG (PCI Firmware Specification 3.3, 4.1.2): the ECAM window of the
 * single PCIe segment, buses 0..ecam_end_bus.
 */
#include <errno.h>
#include <string.h>

#include "core/acpi/table.h"

int acpi_build_mcfg(const struct acpi_config *cfg, void *buf, size_t cap)
{
	struct acpi_mcfg *mcfg = buf;
	struct acpi_mcfg_allocation *alloc;
	size_t size = sizeof(*mcfg) + sizeof(*alloc);

	if (size > cap)
		return -ENOSPC;
	memset(buf, 0, size);
	acpi_table_header_init(&mcfg->header, "MCFG", ACPI_MCFG_REVISION, "MC",
			       (uint32_t)size);
	alloc = (struct acpi_mcfg_allocation *)(mcfg + 1);
	alloc->base = cfg->ecam_base;
	alloc->segment = 0;
	alloc->start_bus = 0;
	alloc->end_bus = cfg->ecam_end_bus;
	acpi_table_checksum(&mcfg->header);
	return (int)size;
}
