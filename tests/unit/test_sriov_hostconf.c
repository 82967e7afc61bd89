// SPDX-License-Identifier: GPL-2.0-only
/* The host config's loader (`partvm host apply`): hugepages page sizes,
 * and errors that name the file and line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sriov/sriov.h"

static char dir[] = "/tmp/partvm-hostconf-XXXXXX";
static char path[64];

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/host.conf", dir);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	rmdir(dir);
	return 0;
}

static int load(const char *text, struct sriov_host_config *c, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return sriov_host_config_load(path, c, err, errlen);
}

static void test_page_sizes(void **state)
{
	struct sriov_host_config c;
	char err[512];

	assert_int_equal(load("[hugepages]\n2M = 512\n1G = 0\n4096K = 3\n", &c, err, sizeof(err)), 0);
	assert_int_equal(c.nhuge, 3);
	assert_true(c.huge[0].size_kb == 2048 && c.huge[0].count == 512 && c.huge[0].line == 2);
	assert_true(c.huge[1].size_kb == 1048576 && c.huge[1].count == 0);
	assert_true(c.huge[2].size_kb == 4096 && c.huge[2].count == 3);
	sriov_host_config_free(&c);
}

/* A size whose KiB do not fit 64 bits is refused, not wrapped around to
 * one the host has (2^54 + 2 MiB would be 2 MiB pages; found by
 * fuzz_sriov_conf). */
static void test_page_size_overflow(void **state)
{
	struct sriov_host_config c;
	char err[512], want[600];

	assert_int_equal(load("[hugepages]\n18014398509481986M = 512\n", &c, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:2: '18014398509481986M' is not a page size (2M, 1G) in [hugepages]", path);
	assert_string_equal(err, want);
	assert_int_equal(c.nhuge, 0);
	assert_int_equal(load("[hugepages]\n17592186044417G = 1\n", &c, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_sizes),
		cmocka_unit_test(test_page_size_overflow),
	};
	return cmocka_run_group_tests_name("sriov hostconf", tests, setup, teardown);
}
