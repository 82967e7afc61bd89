// SPDX-License-Identifier: GPL-2.0-only
/*
 * MADT (ACPI 6.4 5.2.12): one processor entry per vCPU, the IOAPIC, the
 * ISA interrupt overrides and the LINT1 NMI.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "core/acpi/table.h"

#define MADT_PCAT_COMPAT        (1u << 0)   /* 8259 pair present too */

/* Table 5.21 Interrupt Controller Structure Types. */
#define MADT_TYPE_LAPIC         0
#define MADT_TYPE_IOAPIC        1
#define MADT_TYPE_ISO           2
#define MADT_TYPE_LAPIC_NMI     4
#define MADT_TYPE_X2APIC        9
#define MADT_TYPE_X2APIC_NMI    10

#define MADT_LAPIC_ENABLED      (1u << 0)

/* Table 5.26 MPS INTI Flags. */
#define MPS_INTI_ACTIVE_HIGH    0x1
#define MPS_INTI_EDGE           (0x1 << 2)
#define MPS_INTI_LEVEL          (0x3 << 2)

/* Processor UIDs that mean "all processors" (5.2.12.7, 5.2.12.13). */
#define UID_ALL_LAPIC           0xff
#define UID_ALL_X2APIC          0xffffffffu
#define LAPIC_LINT1             1

#define ISA_BUS                 0

/*
 * 5.2.12.12: processors whose APIC ID or UID does not fit the 8-bit fields
 * (0xff is the broadcast ID / "all processors") need x2APIC entries.
 */
static bool cpu_needs_x2apic(const struct acpi_config *cfg, unsigned i)
{
	return cfg->apic_ids[i] >= 0xff || i >= UID_ALL_LAPIC;
}

static size_t madt_size(const struct acpi_config *cfg, bool *any_x2apic)
{
	size_t size = sizeof(struct acpi_madt);

	*any_x2apic = false;
	for (unsigned i = 0; i < cfg->ncpus; i++) {
		if (cpu_needs_x2apic(cfg, i)) {
			size += sizeof(struct acpi_madt_x2apic);
			*any_x2apic = true;
		} else {
			size += sizeof(struct acpi_madt_lapic);
		}
	}
	size += sizeof(struct acpi_madt_ioapic);
	size += 2 * sizeof(struct acpi_madt_iso);
	size += sizeof(struct acpi_madt_lapic_nmi);
	if (*any_x2apic)
		size += sizeof(struct acpi_madt_x2apic_nmi);
	return size;
}

static uint8_t *put(uint8_t *p, const void *entry, size_t len)
{
	memcpy(p, entry, len);
	return p + len;
}

static uint8_t *put_cpus(uint8_t *p, const struct acpi_config *cfg)
{
	for (unsigned i = 0; i < cfg->ncpus; i++) {
		if (cpu_needs_x2apic(cfg, i)) {
			struct acpi_madt_x2apic e = {
				.type = MADT_TYPE_X2APIC,
				.length = sizeof(e),
				.x2apic_id = cfg->apic_ids[i],
				.flags = MADT_LAPIC_ENABLED,
				.uid = i,
			};
			p = put(p, &e, sizeof(e));
		} else {
			struct acpi_madt_lapic e = {
				.type = MADT_TYPE_LAPIC,
				.length = sizeof(e),
				.uid = (uint8_t)i,
				.apic_id = (uint8_t)cfg->apic_ids[i],
				.flags = MADT_LAPIC_ENABLED,
			};
			p = put(p, &e, sizeof(e));
		}
	}
	return p;
}

int acpi_build_madt(const struct acpi_config *cfg, void *buf, size_t cap)
{
	struct acpi_madt *madt = buf;
	bool any_x2apic;
	size_t size = madt_size(cfg, &any_x2apic);
	uint8_t *p;

	if (size > cap)
		return -ENOSPC;
	memset(buf, 0, size);
	acpi_table_header_init(&madt->header, "APIC", ACPI_MADT_REVISION, "MA",
			       (uint32_t)size);
	madt->lapic_address = (uint32_t)cfg->lapic_addr;
	madt->flags = MADT_PCAT_COMPAT;

	p = put_cpus((uint8_t *)buf + sizeof(*madt), cfg);
	p = put(p, &(struct acpi_madt_ioapic){
			.type = MADT_TYPE_IOAPIC,
			.length = sizeof(struct acpi_madt_ioapic),
			.id = cfg->ioapic_id,
			.address = (uint32_t)cfg->ioapic_addr,
			.gsi_base = 0,
		}, sizeof(struct acpi_madt_ioapic));
	p = put(p, &(struct acpi_madt_iso){
			.type = MADT_TYPE_ISO,
			.length = sizeof(struct acpi_madt_iso),
			.bus = ISA_BUS,
			.source = ACPI_ISA_IRQ_PIT,
			.gsi = ACPI_GSI_PIT,
			.flags = 0,     /* conforms to the ISA bus: edge, high */
		}, sizeof(struct acpi_madt_iso));
	/* 5.2.15.5 SCI_INT: a shareable, level, active-high interrupt. */
	p = put(p, &(struct acpi_madt_iso){
			.type = MADT_TYPE_ISO,
			.length = sizeof(struct acpi_madt_iso),
			.bus = ISA_BUS,
			.source = cfg->sci_irq,
			.gsi = cfg->sci_irq,
			.flags = MPS_INTI_ACTIVE_HIGH | MPS_INTI_LEVEL,
		}, sizeof(struct acpi_madt_iso));
	p = put(p, &(struct acpi_madt_lapic_nmi){
			.type = MADT_TYPE_LAPIC_NMI,
			.length = sizeof(struct acpi_madt_lapic_nmi),
			.uid = UID_ALL_LAPIC,
			.flags = MPS_INTI_ACTIVE_HIGH | MPS_INTI_EDGE,
			.lint = LAPIC_LINT1,
		}, sizeof(struct acpi_madt_lapic_nmi));
	if (any_x2apic) {
		put(p, &(struct acpi_madt_x2apic_nmi){
				.type = MADT_TYPE_X2APIC_NMI,
				.length = sizeof(struct acpi_madt_x2apic_nmi),
				.flags = MPS_INTI_ACTIVE_HIGH | MPS_INTI_EDGE,
				.uid = UID_ALL_X2APIC,
				.lint = LAPIC_LINT1,
			}, sizeof(struct acpi_madt_x2apic_nmi));
	}
	acpi_table_checksum(&madt->header);
	return (int)size;
}
