// SPDX-License-Identifier: GPL-2.0-only
/*
 * TPM2 table (TCG ACPI Specification 1.2, 8.3): a CRB-interface TPM whose
 * control area follows the 0x40-byte locality register block, and the
 * location of the TCG event log the VMM writes (LAML/LASA).
 */
#include <errno.h>
#include <string.h>

#include "core/acpi/table.h"

#define TPM2_PLATFORM_CLIENT    0
#define TPM2_START_METHOD_CRB   7
/*
 * TCG PC Client Platform TPM Profile (PTP) 6.5.3: the CRB control area
 * starts after the locality registers; Linux's tpm_crb expects it there.
 */
#define CRB_CONTROL_AREA_OFFSET 0x40

int acpi_build_tpm2(const struct acpi_config *cfg, void *buf, size_t cap)
{
	struct acpi_tpm2 *t = buf;

	if (cap < sizeof(*t))
		return -ENOSPC;
	memset(t, 0, sizeof(*t));
	acpi_table_header_init(&t->header, "TPM2", ACPI_TPM2_REVISION, "TP",
			       sizeof(*t));
	t->platform_class = TPM2_PLATFORM_CLIENT;
	t->control_address = cfg->tpm_crb_base + CRB_CONTROL_AREA_OFFSET;
	t->start_method = TPM2_START_METHOD_CRB;
	t->log_area_min_length = cfg->tpm_log_size;
	t->log_area_start = cfg->tpm_log_addr;
	acpi_table_checksum(&t->header);
	return sizeof(*t);
}
