// SPDX-License-Identifier: GPL-2.0-only
/*
 * acpi_build_tables(): table linkage, checksums and the values the guest
 * reads, checked at the byte offsets the ACPI 6.4 specification gives
 * (not through the builder's own structs), plus buffer bounds and input
 * validation.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/acpi/acpi.h"
#include "core/vm/layout.h"

#define GUARD_BYTE 0xa5
#define GUARD_LEN 4096

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

struct built {
	uint8_t *buf;            /* LAYOUT_ACPI_SIZE + GUARD_LEN */
	struct acpi_tables out;
	uint32_t apic_ids[300];
	struct acpi_config cfg;
};

/* The configuration the VMM derives from core/vm/layout.h. */
static void config_default(struct built *b, unsigned ncpus)
{
	struct acpi_config *c = &b->cfg;

	for (unsigned i = 0; i < ncpus; i++)
		b->apic_ids[i] = i;
	*c = (struct acpi_config){
		.ncpus = ncpus,
		.apic_ids = b->apic_ids,
		.lapic_addr = LAYOUT_LAPIC_START,
		.ioapic_addr = LAYOUT_IOAPIC_START,
		.ioapic_id = 0,
		.ecam_base = LAYOUT_ECAM_START,
		.ecam_end_bus = LAYOUT_ECAM_BUSES - 1,
		.mmio32_base = LAYOUT_MMIO32_START,
		.mmio32_size = LAYOUT_MMIO32_SIZE,
		.mmio64_base = 64 * SZ_1G,
		.mmio64_size = LAYOUT_MMIO64_SIZE,
		.pci_slot_mask = 1u << 3 | 1u << 4,
		.pm1a_evt_port = PORT_PM1A_EVT,
		.pm1a_cnt_port = PORT_PM1A_CNT,
		.pm_tmr_port = PORT_PM_TMR,
		.reset_port = PORT_RESET,
		.reset_value = 0x06,
		.sci_irq = IRQ_SCI,
		.com1 = true,
		.rtc = true,
	};
	for (unsigned s = 0; s < 32; s++)
		for (unsigned p = 0; p < 4; p++)
			c->prt_gsi[s][p] = PCI_INTX_GSI_BASE +
					   (s + p) % PCI_INTX_GSI_COUNT;
}

static void config_tpm(struct built *b)
{
	b->cfg.tpm = true;
	b->cfg.tpm_crb_base = LAYOUT_TPM_CRB_START;
	b->cfg.tpm_crb_size = LAYOUT_TPM_CRB_SIZE;
	b->cfg.tpm_log_addr = 0x9a000;
	b->cfg.tpm_log_size = 0x4000;
}

static int setup(void **state)
{
	struct built *b = calloc(1, sizeof(*b));

	if (!b)
		return -1;
	b->buf = malloc(LAYOUT_ACPI_SIZE + GUARD_LEN);
	if (!b->buf) {
		free(b);
		return -1;
	}
	config_default(b, 4);
	*state = b;
	return 0;
}

static int teardown(void **state)
{
	struct built *b = *state;

	free(b->buf);
	free(b);
	return 0;
}

/* The first byte in [FROM, end of buffer) that is not the guard, or SIZE_MAX. */
static size_t guard_broken(const struct built *b, size_t from)
{
	for (size_t i = from; i < LAYOUT_ACPI_SIZE + GUARD_LEN; i++)
		if (b->buf[i] != GUARD_BYTE)
			return i;
	return SIZE_MAX;
}

static int build_len(struct built *b, size_t len)
{
	memset(b->buf, GUARD_BYTE, LAYOUT_ACPI_SIZE + GUARD_LEN);
	return acpi_build_tables(&b->cfg, b->buf, len, LAYOUT_ACPI_START,
				 &b->out);
}

static void build(struct built *b)
{
	assert_int_equal(build_len(b, LAYOUT_ACPI_SIZE), 0);
	assert_true(b->out.size > 0 && b->out.size <= LAYOUT_ACPI_SIZE);
}

/* Guest-physical address -> pointer into the built tables, checked. */
static const uint8_t *at(const struct built *b, uint64_t gpa, size_t len)
{
	assert_true(gpa >= LAYOUT_ACPI_START);
	assert_true(gpa - LAYOUT_ACPI_START + len <= b->out.size);
	return b->buf + (gpa - LAYOUT_ACPI_START);
}

/* A table with a standard header: in bounds, checksum zero. */
static const uint8_t *table_at(const struct built *b, uint64_t gpa,
			       const char *sig)
{
	const uint8_t *t = at(b, gpa, 36);

	assert_memory_equal(t, sig, 4);
	at(b, gpa, rd32(t + 4));
	assert_int_equal(sum8(t, rd32(t + 4)), 0);
	assert_memory_equal(t + 10, "PARTVM", 6);
	assert_memory_equal(t + 16, "PARTVM", 6);
	return t;
}

static const uint8_t *xsdt_of(const struct built *b)
{
	return table_at(b, rd64(b->buf + 24), "XSDT");
}

/* The XSDT entry with signature SIG, or NULL. */
static const uint8_t *find_table(const struct built *b, const char *sig)
{
	const uint8_t *x = xsdt_of(b);
	unsigned n = (rd32(x + 4) - 36) / 8;

	for (unsigned i = 0; i < n; i++) {
		const uint8_t *t = at(b, rd64(x + 36 + 8 * i), 36);

		if (!memcmp(t, sig, 4))
			return table_at(b, rd64(x + 36 + 8 * i), sig);
	}
	return NULL;
}

static void test_rsdp(void **state)
{
	struct built *b = *state;
	const uint8_t *r;

	build(b);
	assert_int_equal(b->out.rsdp_gpa, LAYOUT_ACPI_START);
	r = b->buf;
	assert_memory_equal(r, "RSD PTR ", 8);
	assert_int_equal(sum8(r, 20), 0);          /* ACPI 1.0 checksum */
	assert_int_equal(r[15], 2);                /* revision */
	assert_int_equal(rd32(r + 20), 36);        /* length */
	assert_int_equal(sum8(r, 36), 0);          /* extended checksum */
	assert_memory_equal(r + 9, "PARTVM", 6);
	xsdt_of(b);
	/* Nothing after the reported size was written. */
	assert_int_equal(guard_broken(b, b->out.size), SIZE_MAX);
}

static void check_xsdt(struct built *b, const char *const *sigs, unsigned n)
{
	const uint8_t *x;

	build(b);
	x = xsdt_of(b);
	assert_int_equal(rd32(x + 4), 36 + 8 * n);
	for (unsigned i = 0; i < n; i++) {
		uint64_t gpa = rd64(x + 36 + 8 * i);

		assert_int_equal(gpa % 8, 0);
		table_at(b, gpa, sigs[i]);
	}
}

static void test_xsdt_entries(void **state)
{
	struct built *b = *state;
	static const char *const plain[] = { "FACP", "APIC", "MCFG" };
	static const char *const tpm[] = { "FACP", "APIC", "MCFG", "TPM2" };

	check_xsdt(b, plain, 3);
	assert_null(find_table(b, "TPM2"));
	config_tpm(b);
	check_xsdt(b, tpm, 4);
}

/* FADT offsets: ACPI 6.4 table 5.9. */
static void test_fadt(void **state)
{
	struct built *b = *state;
	const uint8_t *f, *facs;
	uint32_t flags;

	build(b);
	f = find_table(b, "FACP");
	assert_non_null(f);
	assert_int_equal(rd32(f + 4), 276);
	assert_int_equal(f[8], 6);                          /* revision */
	assert_int_equal(rd16(f + 46), IRQ_SCI);            /* SCI_INT */
	assert_int_equal(rd32(f + 48), 0);                  /* SMI_CMD */
	assert_int_equal(rd32(f + 56), PORT_PM1A_EVT);
	assert_int_equal(rd32(f + 64), PORT_PM1A_CNT);
	assert_int_equal(rd32(f + 76), PORT_PM_TMR);
	assert_int_equal(rd32(f + 80), 0);                  /* no GPE0 */
	assert_int_equal(f[88], 4);                         /* PM1_EVT_LEN */
	assert_int_equal(f[89], 2);                         /* PM1_CNT_LEN */
	assert_int_equal(f[91], 4);                         /* PM_TMR_LEN */

	/* IAPC_BOOT_ARCH: legacy devices, no 8042, no VGA, CMOS present. */
	assert_int_equal(rd16(f + 109), 1u << 0 | 1u << 2);

	flags = rd32(f + 112);
	assert_true(flags & 1u << 10);                      /* RESET_REG_SUP */
	assert_false(flags & 1u << 4);                      /* fixed PWR button */
	assert_true(flags & 1u << 5);                       /* no SLP button */
	assert_true(flags & 1u << 8);                       /* 32-bit timer */
	assert_false(flags & 1u << 20);                     /* not HW-reduced */

	/* RESET_REG: SystemIO, 8 bits, port 0xcf9; RESET_VALUE. */
	assert_int_equal(f[116], 1);
	assert_int_equal(f[117], 8);
	assert_int_equal(rd64(f + 120), PORT_RESET);
	assert_int_equal(f[128], 0x06);

	/* One FACS pointer (below 4 GiB: the 32-bit one); DSDT ones agree. */
	assert_int_not_equal(rd32(f + 36), 0);              /* FIRMWARE_CTRL */
	assert_int_equal(rd64(f + 132), 0);                 /* X_FIRMWARE_CTRL */
	assert_int_equal(rd64(f + 140), rd32(f + 40));      /* DSDT */
	assert_int_equal(f[148], 1);                        /* X_PM1a_EVT */
	assert_int_equal(f[149], 32);
	assert_int_equal(rd64(f + 152), PORT_PM1A_EVT);
	assert_int_equal(f[172], 1);                        /* X_PM1a_CNT */
	assert_int_equal(f[173], 16);
	assert_int_equal(rd64(f + 176), PORT_PM1A_CNT);
	assert_int_equal(f[208], 1);                        /* X_PM_TMR */
	assert_int_equal(f[209], 32);
	assert_int_equal(rd64(f + 212), PORT_PM_TMR);

	/* FACS: 64 bytes, 64-byte aligned, no checksum field. */
	facs = at(b, rd32(f + 36), 64);
	assert_int_equal(rd32(f + 36) % 64, 0);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(rd32(facs + 4), 64);
	table_at(b, rd64(f + 140), "DSDT");
}

static void test_fadt_without_timer_and_rtc(void **state)
{
	struct built *b = *state;
	const uint8_t *f;

	b->cfg.pm_tmr_port = 0;
	b->cfg.rtc = false;
	build(b);
	f = find_table(b, "FACP");
	assert_int_equal(rd32(f + 76), 0);
	assert_int_equal(f[91], 0);
	assert_int_equal(rd64(f + 212), 0);
	assert_false(rd32(f + 112) & 1u << 8);
	/* CMOS RTC Not Present */
	assert_true(rd16(f + 109) & 1u << 5);
}

/* Tables placed above 4 GiB: only the 64-bit pointers can hold them. */
static void test_fadt_above_4g(void **state)
{
	struct built *b = *state;
	const uint64_t base = 1ULL << 32;
	const uint8_t *x, *f = NULL;

	memset(b->buf, GUARD_BYTE, LAYOUT_ACPI_SIZE + GUARD_LEN);
	assert_int_equal(acpi_build_tables(&b->cfg, b->buf, LAYOUT_ACPI_SIZE,
					   base, &b->out), 0);
	x = b->buf + (rd64(b->buf + 24) - base);
	assert_memory_equal(x, "XSDT", 4);
	for (unsigned i = 0; i < (rd32(x + 4) - 36) / 8; i++) {
		const uint8_t *t = b->buf + (rd64(x + 36 + 8 * i) - base);

		if (!memcmp(t, "FACP", 4))
			f = t;
	}
	assert_non_null(f);
	assert_int_equal(rd32(f + 36), 0);                  /* FIRMWARE_CTRL */
	assert_int_equal(rd32(f + 40), 0);                  /* DSDT */
	assert_memory_equal(b->buf + (rd64(f + 132) - base), "FACS", 4);
	assert_memory_equal(b->buf + (rd64(f + 140) - base), "DSDT", 4);
	assert_int_equal(sum8(f, rd32(f + 4)), 0);
}

struct madt_count {
	unsigned lapic, ioapic, iso, nmi, x2apic, x2nmi, other;
};

/* Walk the MADT entries (ACPI 6.4 5.2.12), checking each as it goes. */
static struct madt_count walk_madt(const struct built *b)
{
	const uint8_t *m = find_table(b, "APIC");
	uint32_t len = rd32(m + 4);
	struct madt_count c = { 0 };

	assert_int_equal(m[8], 5);
	assert_int_equal(rd32(m + 36), LAYOUT_LAPIC_START);
	assert_int_equal(rd32(m + 40), 1);                  /* PCAT_COMPAT */
	for (uint32_t off = 44; off < len; off += m[off + 1]) {
		const uint8_t *e = m + off;

		assert_true(e[1] >= 2 && off + e[1] <= len);
		switch (e[0]) {
		case 0:
			assert_int_equal(e[1], 8);
			assert_int_equal(e[2], c.lapic + c.x2apic);  /* UID */
			assert_int_equal(e[3],
					 b->apic_ids[c.lapic + c.x2apic]);
			assert_int_equal(rd32(e + 4), 1);            /* enabled */
			c.lapic++;
			break;
		case 1:
			assert_int_equal(e[1], 12);
			assert_int_equal(e[2], b->cfg.ioapic_id);
			assert_int_equal(rd32(e + 4), LAYOUT_IOAPIC_START);
			assert_int_equal(rd32(e + 8), 0);            /* GSI base */
			c.ioapic++;
			break;
		case 2:
			assert_int_equal(e[1], 10);
			assert_int_equal(e[2], 0);                   /* ISA */
			if (e[3] == 0) {
				assert_int_equal(rd32(e + 4), 2);
				assert_int_equal(rd16(e + 8), 0);
			} else {
				assert_int_equal(e[3], IRQ_SCI);
				assert_int_equal(rd32(e + 4), IRQ_SCI);
				/* level (3 << 2), active high (1) */
				assert_int_equal(rd16(e + 8), 0x0d);
			}
			c.iso++;
			break;
		case 4:
			assert_int_equal(e[1], 6);
			assert_int_equal(e[2], 0xff);                /* all */
			assert_int_equal(e[5], 1);                   /* LINT1 */
			c.nmi++;
			break;
		case 9:
			assert_int_equal(e[1], 16);
			assert_int_equal(rd32(e + 4),
					 b->apic_ids[c.lapic + c.x2apic]);
			assert_int_equal(rd32(e + 8), 1);
			assert_int_equal(rd32(e + 12), c.lapic + c.x2apic);
			c.x2apic++;
			break;
		case 10:
			assert_int_equal(e[1], 12);
			assert_int_equal(rd32(e + 4), 0xffffffffu);
			assert_int_equal(e[8], 1);
			c.x2nmi++;
			break;
		default:
			c.other++;
		}
	}
	return c;
}

static void check_madt(struct built *b, unsigned ncpus)
{
	struct madt_count c;

	config_default(b, ncpus);
	build(b);
	c = walk_madt(b);
	assert_int_equal(c.lapic, ncpus);
	assert_int_equal(c.x2apic, 0);
	assert_int_equal(c.ioapic, 1);
	assert_int_equal(c.iso, 2);
	assert_int_equal(c.nmi, 1);
	assert_int_equal(c.x2nmi, 0);
	assert_int_equal(c.other, 0);
	assert_int_equal(rd32(find_table(b, "APIC") + 4),
			 44 + 8 * ncpus + 12 + 2 * 10 + 6);
}

static void test_madt_counts(void **state)
{
	check_madt(*state, 1);
	check_madt(*state, 4);
	check_madt(*state, 64);
}

static void test_madt_x2apic(void **state)
{
	struct built *b = *state;
	struct madt_count c;

	config_default(b, 4);
	b->apic_ids[2] = 255;
	b->apic_ids[3] = 300;
	build(b);
	c = walk_madt(b);
	assert_int_equal(c.lapic, 2);
	assert_int_equal(c.x2apic, 2);
	assert_int_equal(c.x2nmi, 1);
	assert_int_equal(c.nmi, 1);

	/* UIDs from 255 on need x2APIC entries even for small APIC IDs. */
	config_default(b, 300);
	build(b);
	c = walk_madt(b);
	assert_int_equal(c.lapic, 255);
	assert_int_equal(c.x2apic, 45);
}

static void test_mcfg(void **state)
{
	struct built *b = *state;
	const uint8_t *m;

	b->cfg.ecam_end_bus = 7;
	build(b);
	m = find_table(b, "MCFG");
	assert_int_equal(rd32(m + 4), 60);
	assert_int_equal(rd64(m + 44), LAYOUT_ECAM_START);
	assert_int_equal(rd16(m + 52), 0);                  /* segment */
	assert_int_equal(m[54], 0);                         /* start bus */
	assert_int_equal(m[55], 7);                         /* end bus */
}

static bool contains(const uint8_t *p, size_t n, const char *s)
{
	size_t sl = strlen(s);

	for (size_t i = 0; i + sl <= n; i++)
		if (!memcmp(p + i, s, sl))
			return true;
	return false;
}

/* TCG ACPI spec 1.2 table 7 layout, revision 4. */
static void test_tpm2(void **state)
{
	struct built *b = *state;
	const uint8_t *t, *dsdt;

	build(b);
	dsdt = table_at(b, rd64(find_table(b, "FACP") + 140), "DSDT");
	assert_false(contains(dsdt, rd32(dsdt + 4), "MSFT0101"));

	config_tpm(b);
	build(b);
	t = find_table(b, "TPM2");
	assert_non_null(t);
	assert_int_equal(t[8], 4);
	assert_int_equal(rd32(t + 4), 76);
	assert_int_equal(rd64(t + 40), LAYOUT_TPM_CRB_START + 0x40);
	assert_int_equal(rd32(t + 48), 7);                  /* CRB */
	assert_int_equal(rd32(t + 64), 0x4000);             /* LAML */
	assert_int_equal(rd64(t + 68), 0x9a000);            /* LASA */
	dsdt = table_at(b, rd64(find_table(b, "FACP") + 140), "DSDT");
	assert_true(contains(dsdt, rd32(dsdt + 4), "MSFT0101"));
}

/* Every length short of the full size fails with -ENOSPC, in bounds. */
static void test_no_space(void **state)
{
	struct built *b = *state;
	size_t need;

	config_tpm(b);
	build(b);
	need = b->out.size;
	for (size_t len = 0; len < need; len++) {
		assert_int_equal(build_len(b, len), -ENOSPC);
		assert_int_equal(guard_broken(b, len), SIZE_MAX);
	}
	assert_int_equal(build_len(b, need), 0);
	assert_int_equal(b->out.size, need);
}

static void expect_einval(struct built *b)
{
	assert_int_equal(build_len(b, LAYOUT_ACPI_SIZE), -EINVAL);
	assert_int_equal(guard_broken(b, 0), SIZE_MAX);
	config_default(b, 4);
}

static void test_invalid(void **state)
{
	struct built *b = *state;

	b->cfg.ncpus = 0;
	expect_einval(b);
	b->cfg.apic_ids = NULL;
	expect_einval(b);
	b->apic_ids[3] = 1;                       /* duplicate APIC ID */
	expect_einval(b);
	b->apic_ids[0] = 0xffffffffu;
	expect_einval(b);
	b->cfg.lapic_addr = 1ULL << 32;
	expect_einval(b);
	b->cfg.ecam_base = LAYOUT_ECAM_START + 0x1000;   /* unaligned */
	expect_einval(b);
	b->cfg.mmio32_base = LAYOUT_ECAM_START - 0x1000; /* overlaps ECAM */
	expect_einval(b);
	b->cfg.mmio32_size = 0;
	expect_einval(b);
	b->cfg.mmio64_base = UINT64_MAX - SZ_1G;         /* wraps */
	expect_einval(b);
	b->cfg.pm1a_evt_port = 0;
	expect_einval(b);
	b->cfg.pm_tmr_port = 0xfffe;                      /* past 64 KiB */
	expect_einval(b);
	b->cfg.sci_irq = 2;
	expect_einval(b);
	b->cfg.sci_irq = 16;
	expect_einval(b);
	config_tpm(b);
	b->cfg.tpm_crb_size = 0;
	expect_einval(b);
	config_tpm(b);
	b->cfg.tpm_log_addr = 0;                          /* LAML w/o LASA */
	expect_einval(b);

	/* The RSDP must sit on a 16-byte boundary. */
	memset(b->buf, GUARD_BYTE, LAYOUT_ACPI_SIZE + GUARD_LEN);
	assert_int_equal(acpi_build_tables(&b->cfg, b->buf, LAYOUT_ACPI_SIZE,
					   LAYOUT_ACPI_START + 8, &b->out),
			 -EINVAL);
	assert_int_equal(acpi_build_tables(NULL, b->buf, LAYOUT_ACPI_SIZE,
					   LAYOUT_ACPI_START, &b->out),
			 -EINVAL);
	assert_int_equal(acpi_build_tables(&b->cfg, b->buf, LAYOUT_ACPI_SIZE,
					   LAYOUT_ACPI_START, NULL),
			 -EINVAL);
	assert_int_equal(b->buf[0], GUARD_BYTE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rsdp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xsdt_entries, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fadt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fadt_without_timer_and_rtc,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_fadt_above_4g, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_madt_counts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_madt_x2apic, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mcfg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tpm2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_space, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
	};

	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
