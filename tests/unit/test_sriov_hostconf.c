// SPDX-License-Identifier: GPL-2.0-only
/* The host config's loader (`partvm host apply`): hugepages page sizes,
 * the numbers of [pf] and [vf] sections and page counts (digits only, up
 * to their limit), and errors that name the file and line. */
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

/* TEXT is refused, with a message that contains WHAT. */
static void refused(const char *text, const char *what)
{
	struct sriov_host_config c;
	char err[512];

	assert_int_equal(load(text, &c, err, sizeof(err)), -EINVAL);
	if (!strstr(err, what))
		fail_msg("'%s': '%s' does not say '%s'", text, err, what);
}

static void test_numbers(void **state)
{
	struct sriov_host_config c;
	char err[512];

	assert_int_equal(load("[pf \"eth0\"]\nvfs = 256\nvfio = 0,2-3,255\n"
			      "[vf \"eth0/255\"]\ntrust = on\n"
			      "[hugepages]\n2M = 1073741824\n", &c, err, sizeof(err)), 0);
	assert_int_equal(c.npfs, 1);
	assert_true(c.pfs[0].has_vfs && c.pfs[0].vfs == 256);
	assert_true(c.pfs[0].vfio[0] == 0xd && c.pfs[0].vfio[1] == 0 && c.pfs[0].vfio[2] == 0 &&
		    c.pfs[0].vfio[3] == 1ULL << 63);
	assert_int_equal(c.nvfs, 1);
	assert_int_equal(c.vfs[0].index, 255);
	assert_true(c.huge[0].count == 1UL << 30);
	sriov_host_config_free(&c);

	refused("[pf \"eth0\"]\nvfs = 257\n", "vfs: '257' is not a count 0-256");
	refused("[pf \"eth0\"]\nvfs = +1\n", "vfs: '+1' is not a count");
	refused("[pf \"eth0\"]\nvfs = -1\n", "vfs: '-1' is not a count");
	refused("[pf \"eth0\"]\nvfs = 0x3\n", "vfs: '0x3' is not a count");
	refused("[pf \"eth0\"]\nvfs = 99999999999999999999999\n", "is not a count");
	refused("[pf \"eth0\"]\nvfio = 256\n", "vfio: '256' is not a list");
	refused("[pf \"eth0\"]\nvfio = 3-2\n", "vfio: '3-2' is not a list");
	refused("[pf \"eth0\"]\nvfio = 1-\n", "vfio: '1-' is not a list");
	refused("[vf \"eth0/256\"]\ntrust = on\n", "write [vf \"PF/INDEX\"]");
	refused("[vf \"eth0/1x\"]\ntrust = on\n", "write [vf \"PF/INDEX\"]");
	refused("[hugepages]\n2M = 1073741825\n", "2M: '1073741825' is not a page count");
	refused("[hugepages]\n2M = 5 \n2M = 1\n", "page size given twice");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_sizes),
		cmocka_unit_test(test_page_size_overflow),
		cmocka_unit_test(test_numbers),
	};
	return cmocka_run_group_tests_name("sriov hostconf", tests, setup, teardown);
}
