/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Binary layouts of the fixed-format ACPI tables partvm generates, and the
 * helpers the per-table builders share. Internal to core/acpi/.
 *
 * Section numbers refer to the ACPI 6.4 specification; the TPM2 table to
 * the TCG ACPI Specification, version 1.2 (rev 8). Every structure is
 * packed and little-endian, as in the guest's memory.
 */
#ifndef PARTVM_ACPI_TABLE_H
#define PARTVM_ACPI_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/acpi/acpi.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "ACPI tables are little-endian and written as host structs");

#define ACPI_PACKED __attribute__((packed))

#define ACPI_OEM_ID        "PARTVM"       /* 6 bytes */
#define ACPI_OEM_TABLE_ID  "PARTVM"       /* + two letters per table */
#define ACPI_OEM_REVISION  1
#define ACPI_CREATOR_ID    "PTVM"
#define ACPI_CREATOR_REVISION 1

/* 5.2.6 System Description Table Header. */
struct acpi_table_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_table_header) == 36, "SDT header");

/* 5.2.3.2 Generic Address Structure. */
struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS");

#define ACPI_GAS_SYSTEM_IO      1
#define ACPI_GAS_ACCESS_BYTE    1
#define ACPI_GAS_ACCESS_WORD    2
#define ACPI_GAS_ACCESS_DWORD   3

/* 5.2.5.3 Root System Description Pointer, revision 2. */
struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;            /* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;   /* over all 36 bytes */
	uint8_t reserved[3];
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
#define ACPI_RSDP_V1_LENGTH 20

/* 5.2.9 Fixed ACPI Description Table, revision 6. */
struct acpi_fadt {
	struct acpi_table_header header;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT");
_Static_assert(offsetof(struct acpi_fadt, sci_int) == 46, "FADT SCI_INT");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT IAPC");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT flags");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT");
_Static_assert(offsetof(struct acpi_fadt, x_pm_tmr_blk) == 208, "FADT X_PM_TMR");

/* 5.2.10 Firmware ACPI Control Structure; 64-byte aligned, no checksum. */
struct acpi_facs {
	char signature[4];
	uint32_t length;
	uint32_t hardware_signature;
	uint32_t firmware_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;
	uint8_t reserved0[3];
	uint32_t ospm_flags;
	uint8_t reserved1[24];
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS");
#define ACPI_FACS_ALIGN 64

/* 5.2.12 Multiple APIC Description Table and its entries. */
struct acpi_madt {
	struct acpi_table_header header;
	uint32_t lapic_address;
	uint32_t flags;
} ACPI_PACKED;

struct acpi_madt_lapic {             /* 5.2.12.2 */
	uint8_t type;
	uint8_t length;
	uint8_t uid;
	uint8_t apic_id;
	uint32_t flags;
} ACPI_PACKED;

struct acpi_madt_ioapic {            /* 5.2.12.3 */
	uint8_t type;
	uint8_t length;
	uint8_t id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} ACPI_PACKED;

struct acpi_madt_iso {               /* 5.2.12.5 */
	uint8_t type;
	uint8_t length;
	uint8_t bus;
	uint8_t source;
	uint32_t gsi;
	uint16_t flags;
} ACPI_PACKED;

struct acpi_madt_lapic_nmi {         /* 5.2.12.7 */
	uint8_t type;
	uint8_t length;
	uint8_t uid;
	uint16_t flags;
	uint8_t lint;
} ACPI_PACKED;

struct acpi_madt_x2apic {            /* 5.2.12.12 */
	uint8_t type;
	uint8_t length;
	uint16_t reserved;
	uint32_t x2apic_id;
	uint32_t flags;
	uint32_t uid;
} ACPI_PACKED;

struct acpi_madt_x2apic_nmi {        /* 5.2.12.13 */
	uint8_t type;
	uint8_t length;
	uint16_t flags;
	uint32_t uid;
	uint8_t lint;
	uint8_t reserved[3];
} ACPI_PACKED;

_Static_assert(sizeof(struct acpi_madt) == 44, "MADT");
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT LAPIC");
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT IOAPIC");
_Static_assert(sizeof(struct acpi_madt_iso) == 10, "MADT ISO");
_Static_assert(sizeof(struct acpi_madt_lapic_nmi) == 6, "MADT NMI");
_Static_assert(sizeof(struct acpi_madt_x2apic) == 16, "MADT x2APIC");
_Static_assert(sizeof(struct acpi_madt_x2apic_nmi) == 12, "MADT x2NMI");

/* PCI Firmware Spec 3.3 4.1.2: MCFG and its allocation entries. */
struct acpi_mcfg {
	struct acpi_table_header header;
	uint8_t reserved[8];
} ACPI_PACKED;

struct acpi_mcfg_allocation {
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus;
	uint8_t end_bus;
	uint32_t reserved;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_mcfg) == 44, "MCFG");
_Static_assert(sizeof(struct acpi_mcfg_allocation) == 16, "MCFG entry");

/*
 * TCG ACPI Specification 1.2, 8.3: TPM2 table, revision 4, with the
 * 12-byte start-method-specific parameter area (the size Linux's
 * drivers/char/tpm/eventlog/acpi.c expects) followed by LAML and LASA.
 */
struct acpi_tpm2 {
	struct acpi_table_header header;
	uint16_t platform_class;
	uint16_t reserved;
	uint64_t control_address;
	uint32_t start_method;
	uint8_t start_method_params[12];
	uint32_t log_area_min_length;
	uint64_t log_area_start;
} ACPI_PACKED;
_Static_assert(sizeof(struct acpi_tpm2) == 76, "TPM2");

#define ACPI_SZ_4G           (1ULL << 32)
/* PCIe ECAM: 32 devices x 8 functions x 4 KiB of config space per bus. */
#define ACPI_ECAM_BUS_SIZE   (1ULL << 20)
/* 4.8.3 PM1 blocks: event = 2-byte STS + 2-byte EN; control; 32-bit timer. */
#define ACPI_PM1_EVT_LEN     4
#define ACPI_PM1_CNT_LEN     2
#define ACPI_PM_TMR_LEN      4
/* ISA IRQ 0 is the PIT; the VMM wires it to IOAPIC pin 2, as PCs do. */
#define ACPI_ISA_IRQ_PIT     0
#define ACPI_GSI_PIT         2

/* Table revisions: ACPI 6.4 and TCG ACPI 1.2. */
#define ACPI_XSDT_REVISION   1
#define ACPI_FADT_REVISION   6
#define ACPI_FADT_MINOR      4
#define ACPI_FACS_VERSION    2
#define ACPI_MADT_REVISION   5
#define ACPI_MCFG_REVISION   1
#define ACPI_DSDT_REVISION   2     /* 64-bit AML integers */
#define ACPI_TPM2_REVISION   4

/* Fill HDR for a table of LENGTH bytes; the OEM table ID is "PARTVM"+ID2. */
void acpi_table_header_init(struct acpi_table_header *hdr, const char *sig,
			    uint8_t revision, const char *id2,
			    uint32_t length);
/* The byte that makes LEN bytes at P sum to zero (given a zero checksum). */
uint8_t acpi_checksum(const void *p, size_t len);
/* Set the header checksum of a complete table (length from its header). */
void acpi_table_checksum(struct acpi_table_header *hdr);

/*
 * Per-table builders. Each writes one complete table at BUF (at most CAP
 * bytes) and returns its length, -ENOSPC when CAP is too small, or -EINVAL.
 * CFG has been validated by acpi_build_tables().
 */
int acpi_build_facs(void *buf, size_t cap);
int acpi_build_fadt(const struct acpi_config *cfg, uint64_t facs_gpa,
		    uint64_t dsdt_gpa, void *buf, size_t cap);
int acpi_build_madt(const struct acpi_config *cfg, void *buf, size_t cap);
int acpi_build_mcfg(const struct acpi_config *cfg, void *buf, size_t cap);
int acpi_build_tpm2(const struct acpi_config *cfg, void *buf, size_t cap);
int acpi_build_dsdt(const struct acpi_config *cfg, void *buf, size_t cap);

#endif
