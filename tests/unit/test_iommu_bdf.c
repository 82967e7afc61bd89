// SPDX-License-Identifier: GPL-2.0-only
/* iommu_parse_bdf: the PCI address syntax every subsystem shares. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "iommu/iommu.h"

static void test_accepts_and_canonicalises(void **state)
{
	static const struct { const char *in, *out; } ok[] = {
		{ "0000:00:12.0", "0000:00:12.0" },
		{ "00:12.0", "0000:00:12.0" },
		{ "00:1f.7", "0000:00:1f.7" },
		{ "0001:3A:00.1", "0001:3a:00.1" },
		{ "ffff:ff:1F.7", "ffff:ff:1f.7" },
		{ "Ab:0c.3", "0000:ab:0c.3" },
	};
	char out[IOMMU_BDF_LEN];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(iommu_parse_bdf(ok[i].in, out), 0);
		assert_string_equal(out, ok[i].out);
	}
}

static void test_rejects_malformed(void **state)
{
	static const char *const bad[] = {
		"", "0", "12.0", "00:12", "00:12.", "00:12.8", "00:20.0", "00:12.0 ", " 00:12.0",
		"0:00:12.0", "00000:00:12.0", "0000:0:12.0", "0000:00:2.0", "0000:00:12:0",
		"0000.00:12.0", "0000:00:12.0.1", "00:12.0x", "g0:12.0", "0000:00:12.-1",
		"0000:00:12.00", "::.", "0x00:12.0", "0000:00:12.0\n",
	};
	char out[IOMMU_BDF_LEN] = "untouched";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(iommu_parse_bdf(bad[i], out), -EINVAL);
	assert_int_equal(iommu_parse_bdf(NULL, out), -EINVAL);
	assert_string_equal(out, "untouched");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_and_canonicalises),
		cmocka_unit_test(test_rejects_malformed),
	};
	return cmocka_run_group_tests_name("iommu_bdf", tests, NULL, NULL);
}
