// SPDX-License-Identifier: GPL-2.0-only
/*
 * libgcrypt is loaded while partvm hashes and unmapped after: loads nest
 * (the last unload unmaps it, an earlier one does not), a nested load works
 * without opening anything new, and a digest through it is right (SHA-256
 * of "abc", FIPS 180-2's example).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/util/gcrypt.h"
#include "tests/unit/mapped.h"

static const uint8_t sha256_abc[32] = {
	0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
	0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
};

static void test_nested_loads(void **state)
{
	struct gcrypt outer, inner;
	uint8_t d[32];

	assert_false(lib_mapped("libgcrypt"));
	assert_int_equal(gcrypt_load(&outer), 0);
	assert_true(lib_mapped("libgcrypt"));
	assert_int_equal(gcrypt_load(&inner), 0);
	gcrypt_unload(&outer);
	assert_null(outer.lib);
	assert_true(lib_mapped("libgcrypt"));    /* INNER still holds it */
	inner.md_hash_buffer(GCRY_MD_SHA256, d, "abc", 3);
	assert_memory_equal(d, sha256_abc, sizeof(d));
	gcrypt_unload(&inner);
	assert_false(lib_mapped("libgcrypt"));
	assert_false(lib_mapped("libgpg-error"));
	gcrypt_unload(&inner);                   /* twice: harmless */
}

/* Loaded again after it was unmapped: made ready again, hashes again. */
static void test_reload(void **state)
{
	struct gcrypt g;
	uint8_t d[32];

	for (int i = 0; i < 3; i++) {
		assert_int_equal(gcrypt_load(&g), 0);
		g.md_hash_buffer(GCRY_MD_SHA256, d, "abc", 3);
		assert_memory_equal(d, sha256_abc, sizeof(d));
		gcrypt_unload(&g);
		assert_false(lib_mapped("libgcrypt"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested_loads),
		cmocka_unit_test(test_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
