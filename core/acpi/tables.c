// SPDX-License-Identifier: GPL-2.0-only
/*
 * acpi_build_tables(): check the configuration, lay the tables out in the
 * caller's buffer and link them: RSDP -> XSDT -> {FADT, MADT, MCFG, TPM2},
 * FADT -> {FACS, DSDT}. Also the header and checksum helpers every table
 * builder uses.
 */
#include <errno.h>
#include <string.h>

#include "core/acpi/table.h"

/* KVM's x86 limit on vCPUs (KVM_MAX_VCPUS) in Linux 6.x. */
#define ACPI_MAX_CPUS           4096
/* 5.2.12.12: 0xffffffff is not a valid x2APIC ID. */
#define X2APIC_ID_INVALID       0xffffffffu

#define PORT_SPACE_END          0x10000u
/* The SCI is an ISA IRQ other than the PIT's and the 8259 cascade (2). */
#define ISA_IRQ_COUNT           16
#define ISA_IRQ_CASCADE         2
/* One 4 KiB CRB locality page holds the registers and control area. */
#define TPM_CRB_MIN_SIZE        0x1000u
/* 5.2.5.1: the RSDP sits on a 16-byte boundary; the tables follow it. */
#define RSDP_ALIGN              16
#define TABLE_ALIGN             16
#define XSDT_MAX_ENTRIES        4

void acpi_table_header_init(struct acpi_table_header *hdr, const char *sig,
			    uint8_t revision, const char *id2, uint32_t length)
{
	memset(hdr, 0, sizeof(*hdr));
	memcpy(hdr->signature, sig, sizeof(hdr->signature));
	hdr->length = length;
	hdr->revision = revision;
	memcpy(hdr->oem_id, ACPI_OEM_ID, sizeof(hdr->oem_id));
	memcpy(hdr->oem_table_id, ACPI_OEM_TABLE_ID, 6);
	memcpy(hdr->oem_table_id + 6, id2, 2);
	hdr->oem_revision = ACPI_OEM_REVISION;
	memcpy(hdr->creator_id, ACPI_CREATOR_ID, sizeof(hdr->creator_id));
	hdr->creator_revision = ACPI_CREATOR_REVISION;
}

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return (uint8_t)-sum;
}

void acpi_table_checksum(struct acpi_table_header *hdr)
{
	hdr->checksum = 0;
	hdr->checksum = acpi_checksum(hdr, hdr->length);
}

static bool range_ok(uint64_t base, uint64_t size, uint64_t limit)
{
	return size != 0 && base <= limit && size <= limit - base;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b,
			   uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static int check_cpus(const struct acpi_config *cfg)
{
	if (cfg->ncpus == 0 || cfg->ncpus > ACPI_MAX_CPUS || !cfg->apic_ids)
		return -EINVAL;
	for (unsigned i = 0; i < cfg->ncpus; i++) {
		if (cfg->apic_ids[i] == X2APIC_ID_INVALID)
			return -EINVAL;
		for (unsigned j = 0; j < i; j++)
			if (cfg->apic_ids[j] == cfg->apic_ids[i])
				return -EINVAL;
	}
	/* The MADT's address fields are 32-bit. */
	if (!cfg->lapic_addr || cfg->lapic_addr >= ACPI_SZ_4G ||
	    !cfg->ioapic_addr || cfg->ioapic_addr >= ACPI_SZ_4G)
		return -EINVAL;
	return 0;
}

static int check_pci(const struct acpi_config *cfg)
{
	uint64_t ecam_size = (cfg->ecam_end_bus + 1ULL) * ACPI_ECAM_BUS_SIZE;

	/* ECAM is reserved with a Memory32Fixed, so it lies below 4 GiB. */
	if (!cfg->ecam_base || cfg->ecam_base % ACPI_ECAM_BUS_SIZE ||
	    !range_ok(cfg->ecam_base, ecam_size, ACPI_SZ_4G))
		return -EINVAL;
	if (!range_ok(cfg->mmio32_base, cfg->mmio32_size, ACPI_SZ_4G) ||
	    ranges_overlap(cfg->mmio32_base, cfg->mmio32_size, cfg->ecam_base,
			   ecam_size))
		return -EINVAL;
	if (cfg->mmio64_size &&
	    (cfg->mmio64_base < ACPI_SZ_4G ||
	     !range_ok(cfg->mmio64_base, cfg->mmio64_size, UINT64_MAX)))
		return -EINVAL;
	return 0;
}

static bool port_block_ok(uint16_t port, unsigned len)
{
	return port != 0 && port + len <= PORT_SPACE_END;
}

static int check_pm(const struct acpi_config *cfg)
{
	if (!port_block_ok(cfg->pm1a_evt_port, ACPI_PM1_EVT_LEN) ||
	    !port_block_ok(cfg->pm1a_cnt_port, ACPI_PM1_CNT_LEN) ||
	    !cfg->reset_port)
		return -EINVAL;
	if (cfg->pm_tmr_port &&
	    !port_block_ok(cfg->pm_tmr_port, ACPI_PM_TMR_LEN))
		return -EINVAL;
	if (cfg->sci_irq >= ISA_IRQ_COUNT || cfg->sci_irq == ACPI_ISA_IRQ_PIT ||
	    cfg->sci_irq == ISA_IRQ_CASCADE)
		return -EINVAL;
	return 0;
}

static int check_tpm(const struct acpi_config *cfg)
{
	if (!cfg->tpm)
		return 0;
	/* The DSDT describes the CRB with a Memory32Fixed. */
	if (!cfg->tpm_crb_base || cfg->tpm_crb_size < TPM_CRB_MIN_SIZE ||
	    !range_ok(cfg->tpm_crb_base, cfg->tpm_crb_size, ACPI_SZ_4G))
		return -EINVAL;
	/* LAML and LASA: both set, or both zero for "no event log". */
	if (!cfg->tpm_log_size != !cfg->tpm_log_addr)
		return -EINVAL;
	if (cfg->tpm_log_size &&
	    !range_ok(cfg->tpm_log_addr, cfg->tpm_log_size, UINT64_MAX))
		return -EINVAL;
	return 0;
}

static int check_config(const struct acpi_config *cfg, uint64_t gpa,
			size_t len)
{
	int r;

	if (!cfg || gpa % RSDP_ALIGN || len > UINT64_MAX - gpa)
		return -EINVAL;
	r = check_cpus(cfg);
	if (r < 0)
		return r;
	r = check_pci(cfg);
	if (r < 0)
		return r;
	r = check_pm(cfg);
	if (r < 0)
		return r;
	return check_tpm(cfg);
}

/* 5.2.8 XSDT: the header and 64-bit pointers (unaligned, at offset 36). */
static int build_xsdt(const uint64_t *entries, size_t n, void *buf,
		      size_t cap)
{
	struct acpi_table_header *hdr = buf;
	size_t size = sizeof(*hdr) + n * sizeof(uint64_t);

	if (size > cap)
		return -ENOSPC;
	acpi_table_header_init(hdr, "XSDT", ACPI_XSDT_REVISION, "XS",
			       (uint32_t)size);
	memcpy(hdr + 1, entries, n * sizeof(uint64_t));
	acpi_table_checksum(hdr);
	return (int)size;
}

/* 5.2.5.3: revision 2, XSDT only (the RSDT address stays 0). */
static void build_rsdp(struct acpi_rsdp *rsdp, uint64_t xsdt_gpa)
{
	memset(rsdp, 0, sizeof(*rsdp));
	memcpy(rsdp->signature, "RSD PTR ", sizeof(rsdp->signature));
	memcpy(rsdp->oem_id, ACPI_OEM_ID, sizeof(rsdp->oem_id));
	rsdp->revision = 2;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = xsdt_gpa;
	rsdp->checksum = acpi_checksum(rsdp, ACPI_RSDP_V1_LENGTH);
	rsdp->extended_checksum = acpi_checksum(rsdp, sizeof(*rsdp));
}

/* Where the next table goes in the caller's buffer. */
struct acpi_writer {
	uint8_t *buf;
	size_t len;
	size_t pos;
	uint64_t gpa;
};

/* Align the write position to ALIGN; -ENOSPC when that leaves no room. */
static int writer_align(struct acpi_writer *w, size_t align)
{
	size_t pos = (w->pos + align - 1) & ~(align - 1);

	if (pos < w->pos || pos >= w->len)
		return -ENOSPC;
	memset(w->buf + w->pos, 0, pos - w->pos);
	w->pos = pos;
	return 0;
}

static void *writer_ptr(const struct acpi_writer *w)
{
	return w->buf + w->pos;
}

static size_t writer_room(const struct acpi_writer *w)
{
	return w->len - w->pos;
}

/* Account for a table of N bytes just built; returns its address. */
static uint64_t writer_commit(struct acpi_writer *w, int n)
{
	uint64_t at = w->gpa + w->pos;

	w->pos += (size_t)n;
	return at;
}

int acpi_build_tables(const struct acpi_config *cfg, void *buf, size_t len,
		      uint64_t gpa, struct acpi_tables *out)
{
	struct acpi_writer w = { .buf = buf, .len = len, .gpa = gpa };
	uint64_t xsdt_entries[XSDT_MAX_ENTRIES];
	uint64_t facs, dsdt, xsdt;
	size_t n = 0;
	int r;

	if (!buf || !out)
		return -EINVAL;
	r = check_config(cfg, gpa, len);
	if (r < 0)
		return r;
	if (len < sizeof(struct acpi_rsdp))
		return -ENOSPC;
	w.pos = sizeof(struct acpi_rsdp);

	/* The FACS needs 64-byte alignment: put it right after the RSDP. */
	r = writer_align(&w, ACPI_FACS_ALIGN);
	if (r >= 0)
		r = acpi_build_facs(writer_ptr(&w), writer_room(&w));
	if (r < 0)
		return r;
	facs = writer_commit(&w, r);

	r = writer_align(&w, TABLE_ALIGN);
	if (r >= 0)
		r = acpi_build_dsdt(cfg, writer_ptr(&w), writer_room(&w));
	if (r < 0)
		return r;
	dsdt = writer_commit(&w, r);

	r = writer_align(&w, TABLE_ALIGN);
	if (r >= 0)
		r = acpi_build_fadt(cfg, facs, dsdt, writer_ptr(&w),
				    writer_room(&w));
	if (r < 0)
		return r;
	xsdt_entries[n++] = writer_commit(&w, r);

	r = writer_align(&w, TABLE_ALIGN);
	if (r >= 0)
		r = acpi_build_madt(cfg, writer_ptr(&w), writer_room(&w));
	if (r < 0)
		return r;
	xsdt_entries[n++] = writer_commit(&w, r);

	r = writer_align(&w, TABLE_ALIGN);
	if (r >= 0)
		r = acpi_build_mcfg(cfg, writer_ptr(&w), writer_room(&w));
	if (r < 0)
		return r;
	xsdt_entries[n++] = writer_commit(&w, r);

	if (cfg->tpm) {
		r = writer_align(&w, TABLE_ALIGN);
		if (r >= 0)
			r = acpi_build_tpm2(cfg, writer_ptr(&w),
					    writer_room(&w));
		if (r < 0)
			return r;
		xsdt_entries[n++] = writer_commit(&w, r);
	}

	r = writer_align(&w, TABLE_ALIGN);
	if (r >= 0)
		r = build_xsdt(xsdt_entries, n, writer_ptr(&w),
			       writer_room(&w));
	if (r < 0)
		return r;
	xsdt = writer_commit(&w, r);

	build_rsdp(buf, xsdt);
	out->rsdp_gpa = gpa;
	out->size = w.pos;
	return 0;
}
