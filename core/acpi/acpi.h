/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ACPI tables generated at boot from the VM's configuration:
 * RSDP v2, XSDT, FADT (+FACS), MADT, MCFG, DSDT and, with a vTPM, TPM2.
 *
 * The builder is pure: it writes the tables into a caller-provided buffer
 * that will appear in the guest at guest-physical address GPA, so the
 * pointers between tables are guest-physical.
 */
#ifndef PARTVM_ACPI_H
#define PARTVM_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The \_S5 SLP_TYP value the DSDT advertises and the PM device accepts. */
#define ACPI_SLP_TYP_S5 5
/* The CMOS register holding the century (FADT CENTURY). */
#define ACPI_RTC_CENTURY_REG 0x32

struct acpi_config {
	/* Processors: one LAPIC (or x2APIC, for IDs >= 255) entry each. */
	unsigned ncpus;
	const uint32_t *apic_ids;

	uint64_t lapic_addr;
	uint64_t ioapic_addr;
	uint8_t ioapic_id;

	/* PCIe host bridge: ECAM for buses 0..ecam_end_bus; MMIO windows. */
	uint64_t ecam_base;
	uint8_t ecam_end_bus;
	uint64_t mmio32_base, mmio32_size;
	uint64_t mmio64_base, mmio64_size;
	/* _PRT: GSI for (slot, pin INTA..INTD) on bus 0, all 32 slots. */
	uint8_t prt_gsi[32][4];
	/* Slots that hold a device get a Device(Sxx) with _ADR (function 0)
	 * in the DSDT; the slot's other functions need none (their INTx is
	 * the slot's _PRT entries, whatever the function). */
	uint32_t pci_slot_mask;

	/* PM1 fixed hardware (FADT), the SCI and the reset register. */
	uint16_t pm1a_evt_port;
	uint16_t pm1a_cnt_port;
	uint16_t pm_tmr_port;        /* 0: no PM timer */
	uint16_t reset_port;
	uint8_t reset_value;
	uint8_t sci_irq;

	/* ISA devices described in the DSDT. */
	bool com1;                   /* PNP0501 at 0x3f8, IRQ 4 */
	bool rtc;                    /* PNP0B00 at 0x70, IRQ 8 */

	/* vTPM: DSDT MSFT0101 device and TPM2 table (start method CRB). */
	bool tpm;
	uint64_t tpm_crb_base;
	uint32_t tpm_crb_size;
	uint64_t tpm_log_addr;       /* LASA */
	uint32_t tpm_log_size;       /* LAML */
};

struct acpi_tables {
	uint64_t rsdp_gpa;           /* guest-physical address of the RSDP */
	size_t size;                 /* bytes of BUF used */
};

/*
 * Build every table into BUF (LEN bytes, to be placed at guest-physical
 * GPA). The RSDP comes first, 16-byte aligned. Returns 0, -ENOSPC when the
 * tables do not fit, or -EINVAL for an inconsistent config.
 */
int acpi_build_tables(const struct acpi_config *cfg, void *buf, size_t len,
		      uint64_t gpa, struct acpi_tables *out);

struct vm;
/* Build the tables for VM into its ACPI area (core/layout.h) and record
 * the RSDP address for the boot protocols. */
int acpi_setup(struct vm *vm);

#endif
