// SPDX-License-Identifier: GPL-2.0-only
/*
 * The AML encoder against byte sequences worked out by hand from the ACPI
 * 6.4 specification (chapter 20 for AML, 6.4 for resource descriptors).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/acpi/aml.h"

#define GUARD 0xa5

struct enc {
	uint8_t buf[8192];
	struct aml a;
};

static void enc_init(struct enc *e)
{
	memset(e->buf, GUARD, sizeof(e->buf));
	aml_init(&e->a, e->buf, sizeof(e->buf));
}

static void expect_bytes(const struct enc *e, const uint8_t *want, size_t n)
{
	assert_int_equal(e->a.err, 0);
	assert_int_equal(e->a.len, n);
	assert_memory_equal(e->buf, want, n);
}

#define EXPECT(e, ...)                                               \
	do {                                                         \
		static const uint8_t want_[] = { __VA_ARGS__ };      \
		expect_bytes((e), want_, sizeof(want_));             \
	} while (0)

/* 20.2.4: PkgLength lead byte bits 7-6 = count of following bytes. */
static void test_pkglength_forms(void **state)
{
	static const struct {
		size_t len;
		int n;
		uint8_t bytes[4];
	} cases[] = {
		{ 0x00, 1, { 0x00 } },
		{ 0x3f, 1, { 0x3f } },
		{ 0x40, 2, { 0x40, 0x04 } },
		{ 0x41, 2, { 0x41, 0x04 } },
		{ 0xfff, 2, { 0x4f, 0xff } },
		{ 0x1000, 3, { 0x80, 0x00, 0x01 } },
		{ 0xfffff, 3, { 0x8f, 0xff, 0xff } },
		{ 0x100000, 4, { 0xc0, 0x00, 0x00, 0x01 } },
		{ 0x0fffffff, 4, { 0xcf, 0xff, 0xff, 0xff } },
	};
	uint8_t out[4];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 0, sizeof(out));
		assert_int_equal(aml_encode_pkglength(out, cases[i].len),
				 cases[i].n);
		assert_memory_equal(out, cases[i].bytes, cases[i].n);
	}
	assert_int_equal(aml_encode_pkglength(out, 0x10000000), -EINVAL);
}

/* The PkgLength counts itself: a body of 62 bytes fits one byte, 63 not. */
static void check_if_body(size_t body, const uint8_t *lead, size_t nlead)
{
	struct enc e;
	size_t mark;

	enc_init(&e);
	mark = aml_if_begin(&e.a);
	for (size_t i = 0; i < body; i++)
		aml_byte(&e.a, AML_ONE_OP);
	aml_end(&e.a, mark);
	assert_int_equal(e.a.err, 0);
	assert_int_equal(e.a.len, 1 + nlead + body);
	assert_int_equal(e.buf[0], AML_IF_OP);
	assert_memory_equal(e.buf + 1, lead, nlead);
	assert_int_equal(e.buf[1 + nlead], AML_ONE_OP);
	assert_int_equal(e.buf[nlead + body], AML_ONE_OP);
}

static void test_pkglength_self_inclusive(void **state)
{
	check_if_body(62, (const uint8_t[]){ 0x3f }, 1);
	/* 63 + 2 = 65 = 0x41 */
	check_if_body(63, (const uint8_t[]){ 0x41, 0x04 }, 2);
	/* 0xffd + 2 = 0xfff, the largest two-byte value */
	check_if_body(0xffd, (const uint8_t[]){ 0x4f, 0xff }, 2);
	/* 0xffe + 3 = 0x1001 */
	check_if_body(0xffe, (const uint8_t[]){ 0x81, 0x00, 0x01 }, 3);
}

static void check_integer(uint64_t v, const uint8_t *want, size_t n)
{
	struct enc e;

	enc_init(&e);
	aml_integer(&e.a, v);
	expect_bytes(&e, want, n);
}

/* 20.2.3: ZeroOp, OneOp, OnesOp, then Byte/Word/DWord/QWord prefixes. */
static void test_integer_shortest(void **state)
{
	check_integer(0, (const uint8_t[]){ 0x00 }, 1);
	check_integer(1, (const uint8_t[]){ 0x01 }, 1);
	check_integer(2, (const uint8_t[]){ 0x0a, 0x02 }, 2);
	check_integer(0xff, (const uint8_t[]){ 0x0a, 0xff }, 2);
	check_integer(0x100, (const uint8_t[]){ 0x0b, 0x00, 0x01 }, 3);
	check_integer(0xffff, (const uint8_t[]){ 0x0b, 0xff, 0xff }, 3);
	check_integer(0x10000,
		      (const uint8_t[]){ 0x0c, 0x00, 0x00, 0x01, 0x00 }, 5);
	check_integer(0xffffffff,
		      (const uint8_t[]){ 0x0c, 0xff, 0xff, 0xff, 0xff }, 5);
	check_integer(0x100000000ULL,
		      (const uint8_t[]){ 0x0e, 0, 0, 0, 0, 1, 0, 0, 0 }, 9);
	check_integer(0x123456789abcdef0ULL,
		      (const uint8_t[]){ 0x0e, 0xf0, 0xde, 0xbc, 0x9a, 0x78,
					 0x56, 0x34, 0x12 }, 9);
	check_integer(UINT64_MAX, (const uint8_t[]){ 0xff }, 1);
}

static void test_name_strings(void **state)
{
	struct enc e;

	enc_init(&e);
	aml_name_string(&e.a, "_HID");
	EXPECT(&e, '_', 'H', 'I', 'D');

	enc_init(&e);
	aml_name_string(&e.a, "RTC");           /* padded with '_' */
	EXPECT(&e, 'R', 'T', 'C', '_');

	enc_init(&e);
	aml_name_string(&e.a, "\\_SB.PCI0");    /* DualNamePrefix */
	EXPECT(&e, 0x5c, 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');

	enc_init(&e);
	aml_name_string(&e.a, "\\_SB.PCI0.S01"); /* MultiNamePrefix, 3 */
	EXPECT(&e, 0x5c, 0x2f, 0x03, '_', 'S', 'B', '_', 'P', 'C', 'I', '0',
	       'S', '0', '1', '_');

	enc_init(&e);
	aml_name_string(&e.a, "^^FOO");
	EXPECT(&e, 0x5e, 0x5e, 'F', 'O', 'O', '_');

	enc_init(&e);
	aml_name_string(&e.a, "\\");             /* root, NullName */
	EXPECT(&e, 0x5c, 0x00);

	static const char *const bad[] = { "1ABC", "ABCDE", "pci0", "A..B",
					   "A.", "A-B" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enc_init(&e);
		aml_name_string(&e.a, bad[i]);
		assert_int_equal(e.a.err, -EINVAL);
	}
}

static void test_string_eisaid_uuid(void **state)
{
	struct enc e;

	enc_init(&e);
	aml_string(&e.a, "MSFT0101");
	EXPECT(&e, 0x0d, 'M', 'S', 'F', 'T', '0', '1', '0', '1', 0x00);

	/* PNP0A03 is the well-known 0x030ad041 (6.1.5 _HID example). */
	enc_init(&e);
	aml_eisaid(&e.a, "PNP0A03");
	EXPECT(&e, 0x0c, 0x41, 0xd0, 0x0a, 0x03);

	enc_init(&e);
	aml_eisaid(&e.a, "PNP0501");
	EXPECT(&e, 0x0c, 0x41, 0xd0, 0x05, 0x01);

	enc_init(&e);
	aml_eisaid(&e.a, "pnp0a03");
	assert_int_equal(e.a.err, -EINVAL);

	/* Buffer (0x10) { first three groups byte-swapped, rest in order } */
	enc_init(&e);
	aml_uuid(&e.a, "33db4d5b-1ff7-401c-9657-7441c03dd766");
	EXPECT(&e, 0x11, 0x13, 0x0a, 0x10, 0x5b, 0x4d, 0xdb, 0x33, 0xf7, 0x1f,
	       0x1c, 0x40, 0x96, 0x57, 0x74, 0x41, 0xc0, 0x3d, 0xd7, 0x66);

	enc_init(&e);
	aml_uuid(&e.a, "33db4d5b-1ff7-401c-9657-7441c03dd76");
	assert_int_equal(e.a.err, -EINVAL);

	/* Unicode ("AB"): UTF-16LE with a 16-bit terminator. */
	enc_init(&e);
	aml_unicode(&e.a, "AB");
	EXPECT(&e, 0x11, 0x09, 0x0a, 0x06, 'A', 0, 'B', 0, 0, 0);
}

static void test_named_objects(void **state)
{
	struct enc e;
	size_t m;

	enc_init(&e);
	m = aml_device_begin(&e.a, "PCI0");
	aml_end(&e.a, m);
	EXPECT(&e, 0x5b, 0x82, 0x05, 'P', 'C', 'I', '0');

	/* Method (_STA, 0, NotSerialized) { Return (0x0F) } */
	enc_init(&e);
	m = aml_method_begin(&e.a, "_STA", 0, false);
	aml_byte(&e.a, AML_RETURN_OP);
	aml_integer(&e.a, 0x0f);
	aml_end(&e.a, m);
	EXPECT(&e, 0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xa4, 0x0a, 0x0f);

	/* Method (_OSC, 4, Serialized): flags 4 | 1 << 3 */
	enc_init(&e);
	m = aml_method_begin(&e.a, "_OSC", 4, true);
	aml_end(&e.a, m);
	EXPECT(&e, 0x14, 0x06, '_', 'O', 'S', 'C', 0x0c);

	/* Name (_S5, Package (0x04) { 5, 5, Zero, Zero }) */
	enc_init(&e);
	aml_name(&e.a, "_S5");
	m = aml_package_begin(&e.a, 4);
	aml_integer(&e.a, 5);
	aml_integer(&e.a, 5);
	aml_integer(&e.a, 0);
	aml_integer(&e.a, 0);
	aml_end(&e.a, m);
	EXPECT(&e, 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 0x05,
	       0x0a, 0x05, 0x00, 0x00);

	/* Scope (\_SB) {} */
	enc_init(&e);
	m = aml_scope_begin(&e.a, "\\_SB");
	aml_end(&e.a, m);
	EXPECT(&e, 0x10, 0x06, 0x5c, '_', 'S', 'B', '_');

	enc_init(&e);
	aml_method_begin(&e.a, "_DSM", 8, false);
	assert_int_equal(e.a.err, -EINVAL);
}

/*
 * ResourceTemplate () { IO (Decode16, 0x3F8, 0x3F8, 1, 8) IRQNoFlags () {4} }
 * Descriptors sum to 0xf2 with the End Tag, so its checksum is 0x0e.
 */
static void test_resource_template_small(void **state)
{
	struct enc e;
	size_t m;

	enc_init(&e);
	m = aml_resource_begin(&e.a);
	aml_res_io(&e.a, 0x3f8, 0x3f8, 1, 8);
	aml_res_irq_noflags(&e.a, 1u << 4);
	aml_resource_end(&e.a, m);
	EXPECT(&e, 0x11, 0x10, 0x0a, 0x0d,
	       0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,
	       0x22, 0x10, 0x00,
	       0x79, 0x0e);
}

static void test_resource_descriptors(void **state)
{
	struct enc e;

	enc_init(&e);
	aml_res_word_bus_number(&e.a, 0, 0xff);
	EXPECT(&e, 0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00,
	       0x00, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x01);

	enc_init(&e);
	aml_res_word_io(&e.a, 0x0d00, 0xffff);
	EXPECT(&e, 0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03,
	       0x00, 0x00, 0x00, 0x0d, 0xff, 0xff, 0x00, 0x00, 0x00, 0xf3);

	enc_init(&e);
	aml_res_dword_io(&e.a, 0x1000, 0x1fff);
	EXPECT(&e, 0x87, 0x17, 0x00, 0x01, 0x0c, 0x03,
	       0, 0, 0, 0, 0x00, 0x10, 0, 0, 0xff, 0x1f, 0, 0,
	       0, 0, 0, 0, 0x00, 0x10, 0, 0);

	enc_init(&e);
	aml_res_dword_memory(&e.a, 0xc0000000, 0xdfffffff, false);
	EXPECT(&e, 0x87, 0x17, 0x00, 0x00, 0x0c, 0x01,
	       0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff, 0xff, 0xdf,
	       0, 0, 0, 0, 0, 0, 0, 0x20);

	enc_init(&e);
	aml_res_qword_memory(&e.a, 0x1000000000ULL, 0x1fffffffffULL, true);
	EXPECT(&e, 0x8a, 0x2b, 0x00, 0x00, 0x0c, 0x03,
	       0, 0, 0, 0, 0, 0, 0, 0,
	       0, 0, 0, 0, 0x10, 0, 0, 0,
	       0xff, 0xff, 0xff, 0xff, 0x1f, 0, 0, 0,
	       0, 0, 0, 0, 0, 0, 0, 0,
	       0, 0, 0, 0, 0x10, 0, 0, 0);

	enc_init(&e);
	aml_res_memory32_fixed(&e.a, 0xfed40000, 0x5000, true);
	EXPECT(&e, 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0xd4, 0xfe,
	       0x00, 0x50, 0x00, 0x00);

	/* Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) {5} */
	enc_init(&e);
	aml_res_interrupt(&e.a, 5, true, false, false);
	EXPECT(&e, 0x89, 0x06, 0x00, 0x01, 0x01, 0x05, 0x00, 0x00, 0x00);

	/* Interrupt (ResourceConsumer, Edge, ActiveLow, Shared) {0x20} */
	enc_init(&e);
	aml_res_interrupt(&e.a, 0x20, false, true, true);
	EXPECT(&e, 0x89, 0x06, 0x00, 0x0f, 0x01, 0x20, 0x00, 0x00, 0x00);
}

static void test_resource_bad_ranges(void **state)
{
	struct enc e;

	/* 0x0000-0xFFFF has length 0x10000, which a Word cannot hold. */
	enc_init(&e);
	aml_res_word_io(&e.a, 0, 0xffff);
	assert_int_equal(e.a.err, -EINVAL);

	enc_init(&e);
	aml_res_dword_memory(&e.a, 0x2000, 0x1000, false);
	assert_int_equal(e.a.err, -EINVAL);

	enc_init(&e);
	aml_res_memory32_fixed(&e.a, 0xfffff000, 0x2000, true);
	assert_int_equal(e.a.err, -EINVAL);
}

/* Errors are sticky and nothing is written past the capacity. */
static void test_no_space(void **state)
{
	uint8_t buf[16];
	struct aml a;
	size_t m;

	memset(buf, GUARD, sizeof(buf));
	aml_init(&a, buf, 4);
	aml_byte(&a, 0x01);
	aml_integer(&a, 0x10000);         /* needs 5 bytes, 3 left */
	assert_int_equal(a.err, -ENOSPC);
	assert_int_equal(a.len, 1);
	aml_byte(&a, 0x02);               /* ignored after the error */
	assert_int_equal(a.len, 1);
	for (size_t i = 1; i < sizeof(buf); i++)
		assert_int_equal(buf[i], GUARD);

	/* Inserting the PkgLength can also run out of room. */
	memset(buf, GUARD, sizeof(buf));
	aml_init(&a, buf, 6);
	m = aml_scope_begin(&a, "_SB");   /* 5 bytes: op + name */
	aml_byte(&a, AML_ZERO_OP);        /* 6 bytes, full */
	aml_end(&a, m);
	assert_int_equal(a.err, -ENOSPC);
	for (size_t i = 6; i < sizeof(buf); i++)
		assert_int_equal(buf[i], GUARD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkglength_forms),
		cmocka_unit_test(test_pkglength_self_inclusive),
		cmocka_unit_test(test_integer_shortest),
		cmocka_unit_test(test_name_strings),
		cmocka_unit_test(test_string_eisaid_uuid),
		cmocka_unit_test(test_named_objects),
		cmocka_unit_test(test_resource_template_small),
		cmocka_unit_test(test_resource_descriptors),
		cmocka_unit_test(test_resource_bad_ranges),
		cmocka_unit_test(test_no_space),
	};

	return cmocka_run_group_tests_name("acpi_aml", tests, NULL, NULL);
}
