// SPDX-License-Identifier: GPL-2.0-only
/*
 * PF and VF discovery in a fake sysfs, and sriov_numvfs changes: through
 * 0, refused above totalvfs, and put back when a write fails. sysfs_write
 * is wrapped to log every write and to inject a failure.
 */
// LDFLAGS: -Wl,--wrap=sysfs_write
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/util/sysfs.h"
#include "sriov/sriov.h"
#include "tests/unit/sriov_fake.h"

static struct {
	char log[16][160];
	int n;
	int fail_at; /* 1-based write number to fail, 0 = none */
	int fail_err;
} writes;

int __real_sysfs_write(const char *root, const char *path, const char *value);
int __wrap_sysfs_write(const char *root, const char *path, const char *value)
{
	const char *attr = strrchr(path, '/');

	if (writes.n < 16)
		snprintf(writes.log[writes.n], sizeof(writes.log[0]), "%s=%s", attr + 1, value);
	writes.n++;
	if (writes.n == writes.fail_at)
		return writes.fail_err;
	return __real_sysfs_write(root, path, value);
}

static int setup(void **state)
{
	char *root = fake_tree();

	assert_non_null(root);
	memset(&writes, 0, sizeof(writes));
	fake_pf(root, 7, 3, 1);
	/* A second PF without a netdev (like QEMU's nvme), and a plain PCI
	 * device without SR-IOV. */
	fake_write(root, "sys/bus/pci/devices/0000:00:04.0/sriov_totalvfs", "2\n");
	fake_write(root, "sys/bus/pci/devices/0000:00:04.0/sriov_numvfs", "0\n");
	fake_driver(root, "0000:00:04.0", "nvme");
	fake_write(root, "sys/bus/pci/devices/0000:00:03.0/vendor", "0x1234\n");
	fake_write(root, "sys/class/net/lo/ifindex", "1\n");
	*state = root;
	return 0;
}

static int teardown(void **state)
{
	fake_tree_remove(*state);
	return 0;
}

static void test_find_by_name_and_address(void **state)
{
	const char *root = *state;
	struct sriov_pf pf;

	assert_int_equal(sriov_pf_find(root, "eth0", &pf), 0);
	assert_string_equal(pf.bdf, "0000:00:02.0");
	assert_string_equal(pf.ifname, "eth0");
	assert_int_equal(pf.ifindex, 2);
	assert_string_equal(pf.driver, "igb");
	assert_int_equal(pf.totalvfs, 7);
	assert_int_equal(pf.numvfs, 3);
	assert_true(pf.autoprobe);

	assert_int_equal(sriov_pf_find(root, "0000:00:02.0", &pf), 0);
	assert_string_equal(pf.ifname, "eth0");
	assert_int_equal(sriov_pf_find(root, "00:04.0", &pf), 0);
	assert_string_equal(pf.bdf, "0000:00:04.0");
	assert_string_equal(pf.ifname, "");
	assert_int_equal(pf.ifindex, 0);
	assert_string_equal(pf.driver, "nvme");
	assert_int_equal(pf.totalvfs, 2);
}

static void test_find_refusals(void **state)
{
	const char *root = *state;
	struct sriov_pf pf;

	assert_int_equal(sriov_pf_find(root, "eth9", &pf), -ENODEV);
	assert_int_equal(sriov_pf_find(root, "0000:00:09.0", &pf), -ENODEV);
	assert_int_equal(sriov_pf_find(root, "../../etc", &pf), -ENODEV);
	assert_int_equal(sriov_pf_find(root, "0000:00:03.0", &pf), -EOPNOTSUPP);
	assert_int_equal(sriov_pf_find(root, "lo", &pf), -EOPNOTSUPP);
	/* A VF is no PF. */
	assert_int_equal(sriov_pf_find(root, "ethvf1", &pf), -EOPNOTSUPP);
}

static void test_list_and_vfs(void **state)
{
	const char *root = *state;
	struct sriov_pf *pfs = NULL, pf;
	struct sriov_vf vf;
	unsigned idx;

	assert_int_equal(sriov_pf_list(root, &pfs), 2);
	assert_string_equal(pfs[0].bdf, "0000:00:02.0");
	assert_string_equal(pfs[1].bdf, "0000:00:04.0");
	free(pfs);

	assert_int_equal(sriov_pf_find(root, "eth0", &pf), 0);
	assert_int_equal(sriov_vf_get(root, &pf, 1, &vf), 0);
	assert_string_equal(vf.bdf, "0000:00:10.2");
	assert_string_equal(vf.driver, "igbvf");
	assert_string_equal(vf.ifname, "ethvf1");
	assert_int_equal(sriov_vf_get(root, &pf, 3, &vf), -ENOENT);

	assert_int_equal(sriov_vf_find_by_bdf(root, "0000:00:10.4", &pf, &idx), 0);
	assert_int_equal(idx, 2);
	assert_string_equal(pf.ifname, "eth0");
}

static void test_numvfs_passes_through_zero(void **state)
{
	const char *root = *state;
	struct sriov_pf pf;

	assert_int_equal(sriov_pf_find(root, "eth0", &pf), 0);
	assert_int_equal(sriov_pf_set_numvfs(root, &pf, 2, -1, 2000), 0);
	assert_int_equal(writes.n, 2);
	assert_string_equal(writes.log[0], "sriov_numvfs=0");
	assert_string_equal(writes.log[1], "sriov_numvfs=2");
	assert_string_equal(fake_read(root, "sys/bus/pci/devices/0000:00:02.0/sriov_numvfs"), "2");
	assert_int_equal(pf.numvfs, 2);

	/* The same count again is no change at all. */
	writes.n = 0;
	assert_int_equal(sriov_pf_set_numvfs(root, &pf, 2, -1, 2000), 0);
	assert_int_equal(writes.n, 0);
}

static void test_numvfs_autoprobe_first(void **state)
{
	const char *root = *state;
	struct sriov_pf pf;

	assert_int_equal(sriov_pf_find(root, "eth0", &pf), 0);
	assert_int_equal(sriov_pf_set_numvfs(root, &pf, 3, 0, 2000), 0);
	assert_int_equal(writes.n, 3);
	assert_string_equal(writes.log[0], "sriov_drivers_autoprobe=0");
	assert_string_equal(writes.log[1], "sriov_numvfs=0");
	assert_string_equal(writes.log[2], "sriov_numvfs=3");
	assert_false(pf.autoprobe);
}

static void test_numvfs_above_total_changes_nothing(void **state)
{
	const char *root = *state;
	struct sriov_pf pf;

	assert_int_equal(sriov_pf_find(root, "eth0", &pf), 0);
	assert_int_equal(sriov_pf_set_numvfs(root, &pf, 8, 0, 2000), -ERANGE);
	assert_int_equal(writes.n, 0);
	assert_string_equal(fake_read(root, "sys/bus/pci/devices/0000:00:02.0/sriov_numvfs"), "3");
}

static void test_numvfs_failure_restores(void **state)
{
	const char *root = *state;
	struct sriov_pf pf;

	assert_int_equal(sriov_pf_find(root, "eth0", &pf), 0);
	writes.fail_at = 3; /* autoprobe=0, numvfs=0, then numvfs=5 fails */
	writes.fail_err = -ENOMEM;
	assert_int_equal(sriov_pf_set_numvfs(root, &pf, 5, 0, 2000), -ENOMEM);
	assert_string_equal(writes.log[2], "sriov_numvfs=5");
	assert_string_equal(writes.log[3], "sriov_drivers_autoprobe=1");
	assert_string_equal(writes.log[4], "sriov_numvfs=3");
	assert_string_equal(fake_read(root, "sys/bus/pci/devices/0000:00:02.0/sriov_numvfs"), "3");
	assert_string_equal(
		fake_read(root, "sys/bus/pci/devices/0000:00:02.0/sriov_drivers_autoprobe"), "1");
	assert_int_equal(pf.numvfs, 3);
	assert_true(pf.autoprobe);
}

static void test_numvfs_times_out_without_devices(void **state)
{
	const char *root = *state;
	struct sriov_pf pf;

	/* Asking for 5 when only virtfn0-2 ever appear: the kernel did not
	 * make them, which the wait reports after its deadline. */
	assert_int_equal(sriov_pf_find(root, "eth0", &pf), 0);
	assert_int_equal(sriov_pf_set_numvfs(root, &pf, 5, -1, 200), -ETIMEDOUT);
	assert_int_equal(pf.numvfs, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_find_by_name_and_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_and_vfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_numvfs_passes_through_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_numvfs_autoprobe_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_numvfs_above_total_changes_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_numvfs_failure_restores, setup, teardown),
		cmocka_unit_test_setup_teardown(test_numvfs_times_out_without_devices, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
