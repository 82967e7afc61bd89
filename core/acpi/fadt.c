// SPDX-License-Identifier: GPL-2.0-only
/*
 * FADT (ACPI 6.4 5.2.9) and FACS (5.2.10): full, not hardware-reduced,
 * ACPI with PM1a event/control blocks, an optional PM timer, the reset
 * register and a fixed-feature power button.
 */
#include <errno.h>
#include <string.h>

#include "core/acpi/table.h"

/* Table 5.10 FADT Feature Flags. */
#define FADT_WBINVD             (1u << 0)
#define FADT_PROC_C1            (1u << 2)
#define FADT_PWR_BUTTON         (1u << 4)   /* set: no fixed power button */
#define FADT_SLP_BUTTON         (1u << 5)   /* set: no fixed sleep button */
#define FADT_FIX_RTC            (1u << 6)   /* set: no RTC_STS in PM1 */
#define FADT_TMR_VAL_EXT        (1u << 8)   /* 32-bit PM timer */
#define FADT_RESET_REG_SUP      (1u << 10)

/* Table 5.11 IA-PC Boot Architecture Flags. */
#define IAPC_LEGACY_DEVICES     (1u << 0)
#define IAPC_8042               (1u << 1)
#define IAPC_VGA_NOT_PRESENT    (1u << 2)
#define IAPC_CMOS_RTC_NOT_PRESENT (1u << 5)

/* P_LVL2_LAT > 100 and P_LVL3_LAT > 1000 mean "C2/C3 not supported". */
#define P_LVL2_UNSUPPORTED      101
#define P_LVL3_UNSUPPORTED      1001

/*
 * A GAS for a FADT I/O register block: bit width is the block's size (ACPICA
 * warns when it differs from the legacy length field), access size the
 * width of one register in it.
 */
static struct acpi_gas io_gas(uint16_t port, uint8_t len, uint8_t access)
{
	return (struct acpi_gas){
		.space_id = ACPI_GAS_SYSTEM_IO,
		.bit_width = (uint8_t)(len * 8),
		.access_size = access,
		.address = port,
	};
}

int acpi_build_facs(void *buf, size_t cap)
{
	struct acpi_facs *facs = buf;

	if (cap < sizeof(*facs))
		return -ENOSPC;
	memset(facs, 0, sizeof(*facs));
	memcpy(facs->signature, "FACS", 4);
	facs->length = sizeof(*facs);
	facs->version = ACPI_FACS_VERSION;
	return sizeof(*facs);
}

/* The 32-bit pointer fields hold the address only when it fits (5.2.9). */
static uint32_t addr32(uint64_t gpa)
{
	return gpa <= UINT32_MAX ? (uint32_t)gpa : 0;
}

int acpi_build_fadt(const struct acpi_config *cfg, uint64_t facs_gpa,
		    uint64_t dsdt_gpa, void *buf, size_t cap)
{
	struct acpi_fadt *f = buf;
	uint16_t boot_arch = IAPC_LEGACY_DEVICES | IAPC_VGA_NOT_PRESENT;
	/*
	 * FADT_PWR_BUTTON stays clear: the power button is the fixed feature
	 * (PM1 PWRBTN_STS/EN), which is how the VMM requests a shutdown.
	 */
	uint32_t flags = FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON |
			 FADT_FIX_RTC | FADT_RESET_REG_SUP;

	if (cap < sizeof(*f))
		return -ENOSPC;
	memset(f, 0, sizeof(*f));
	acpi_table_header_init(&f->header, "FACP", ACPI_FADT_REVISION, "FA",
			       sizeof(*f));
	f->minor_version = ACPI_FADT_MINOR;

	/*
	 * 5.2.9: at most one FACS pointer may be non-zero (the X_ one only
	 * for a FACS above 4 GiB); Linux installs the FACS twice and fwts
	 * fails the table otherwise. Both DSDT pointers may be set and agree.
	 */
	f->firmware_ctrl = addr32(facs_gpa);
	f->x_firmware_ctrl = f->firmware_ctrl ? 0 : facs_gpa;
	f->dsdt = addr32(dsdt_gpa);
	f->x_dsdt = dsdt_gpa;

	f->sci_int = cfg->sci_irq;
	/* SMI_CMD = 0: the platform is always in ACPI mode (5.2.9). */
	f->smi_cmd = 0;

	f->pm1a_evt_blk = cfg->pm1a_evt_port;
	f->pm1_evt_len = ACPI_PM1_EVT_LEN;
	f->x_pm1a_evt_blk = io_gas(cfg->pm1a_evt_port, ACPI_PM1_EVT_LEN,
				   ACPI_GAS_ACCESS_WORD);
	f->pm1a_cnt_blk = cfg->pm1a_cnt_port;
	f->pm1_cnt_len = ACPI_PM1_CNT_LEN;
	f->x_pm1a_cnt_blk = io_gas(cfg->pm1a_cnt_port, ACPI_PM1_CNT_LEN,
				   ACPI_GAS_ACCESS_WORD);
	if (cfg->pm_tmr_port) {
		f->pm_tmr_blk = cfg->pm_tmr_port;
		f->pm_tmr_len = ACPI_PM_TMR_LEN;
		f->x_pm_tmr_blk = io_gas(cfg->pm_tmr_port, ACPI_PM_TMR_LEN,
					 ACPI_GAS_ACCESS_DWORD);
		flags |= FADT_TMR_VAL_EXT;
	}

	/* The RTC keeps the century in CMOS 0x32, as PC firmware does. */
	if (cfg->rtc)
		f->century = ACPI_RTC_CENTURY_REG;

	f->p_lvl2_lat = P_LVL2_UNSUPPORTED;
	f->p_lvl3_lat = P_LVL3_UNSUPPORTED;

	/*
	 * No 8042: the VMM's i8042 only implements the reset command, so
	 * Linux must not probe for a keyboard controller.
	 */
	if (!cfg->rtc)
		boot_arch |= IAPC_CMOS_RTC_NOT_PRESENT;
	f->iapc_boot_arch = boot_arch;

	f->reset_reg = io_gas(cfg->reset_port, 1, ACPI_GAS_ACCESS_BYTE);
	f->reset_value = cfg->reset_value;
	f->flags = flags;

	acpi_table_checksum(&f->header);
	return sizeof(*f);
}
