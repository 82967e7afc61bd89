// SPDX-License-Identifier: GPL-2.0-only
/* [partition] resources: the cpu-affinity list parser, memory-backing,
 * the huge page and NUMA node checks on a fake host, and the config keys
 * with their FILE:LINE errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/board.h"
#include "core/vm/config.h"
#include "core/vm/resources.h"
#include "tests/unit/fake_sysfs.h"

static void expect_list(const char *s, const unsigned *want, unsigned nwant)
{
	const char *why = NULL;
	unsigned *cpus = NULL, n = 0;

	if (resources_parse_cpu_list(s, &cpus, &n, &why) != 0)
		fail_msg("'%s' refused: %s", s, why);
	assert_int_equal(n, nwant);
	for (unsigned i = 0; i < n; i++)
		if (cpus[i] != want[i])
			fail_msg("'%s': vCPU %u on CPU %u, expected %u", s, i, cpus[i], want[i]);
	free(cpus);
}

static void expect_bad_list(const char *s, int err, const char *why_part)
{
	const char *why = NULL;
	unsigned *cpus = NULL, n = 0;
	int r = resources_parse_cpu_list(s, &cpus, &n, &why);

	if (r != err || !why || !strstr(why, why_part))
		fail_msg("'%s': expected %d (\"%s\"), got %d (\"%s\")", s, err, why_part, r, why ? why : "");
	assert_null(cpus);
}

static void test_cpu_list(void **state)
{
	expect_list("2-5", (unsigned[]){ 2, 3, 4, 5 }, 4);
	expect_list("0,2,4-6", (unsigned[]){ 0, 2, 4, 5, 6 }, 5);
	/* The order written is the vCPUs' order. */
	expect_list("7,3,5-6", (unsigned[]){ 7, 3, 5, 6 }, 4);
	expect_list("1023", (unsigned[]){ 1023 }, 1);
	expect_list("4-4", (unsigned[]){ 4 }, 1);

	expect_bad_list("", -EINVAL, "empty");
	expect_bad_list("2-", -EINVAL, "a range needs an end");
	expect_bad_list("-1", -EINVAL, "expected a number");
	expect_bad_list("5-2", -EINVAL, "low to high");
	expect_bad_list("1,,2", -EINVAL, "expected a number");
	expect_bad_list("1,", -EINVAL, "expected a number");
	expect_bad_list("two", -EINVAL, "expected a number");
	expect_bad_list("1 2", -EINVAL, "expected ','");
	expect_bad_list("1;2", -EINVAL, "expected ','");
	expect_bad_list("2-5,3", -EINVAL, "named twice");
	expect_bad_list("1024", -ERANGE, "below 1024");
	expect_bad_list("0-99999999999999999999", -ERANGE, "below 1024");
}

static void test_format_cpu_set(void **state)
{
	cpu_set_t set;
	char buf[64], tiny[4];

	CPU_ZERO(&set);
	assert_int_equal(resources_format_cpu_set(&set, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	for (unsigned c = 0; c < 4; c++)
		CPU_SET(c, &set);
	CPU_SET(6, &set);
	CPU_SET(8, &set);
	CPU_SET(9, &set);
	assert_int_equal(resources_format_cpu_set(&set, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0-3,6,8-9");
	assert_int_equal(resources_format_cpu_set(&set, tiny, sizeof(tiny)), -ENOSPC);
}

static void test_backing(void **state)
{
	enum memory_backing b;

	assert_int_equal(resources_parse_backing("hugetlb-1g", &b), 0);
	assert_int_equal(b, MEMORY_BACKING_HUGETLB_1G);
	assert_true(resources_backing_page_size(b) == 1ULL << 30);
	assert_int_equal(resources_parse_backing("hugetlb", &b), 0);
	assert_true(resources_backing_page_size(b) == 2ULL << 20);
	assert_int_equal(resources_parse_backing("anonymous", &b), 0);
	assert_string_equal(resources_backing_name(b), "anonymous");
	assert_int_equal(resources_parse_backing("hugepages", &b), -EINVAL);
	assert_int_equal(resources_parse_backing("", &b), -EINVAL);
}

/* A host with 2 NUMA nodes, node 1 without memory; 10 free 2 MiB pages of
 * which 2 are reserved (8 usable), 4 of them on node 0; no 1 GiB pages. */
static char *fake_host(void)
{
	char *root = fake_sysfs_create();

	assert_non_null(root);
	assert_int_equal(fake_sysfs_write(root, "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "10\n"), 0);
	assert_int_equal(fake_sysfs_write(root, "/sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages", "2\n"), 0);
	assert_int_equal(fake_sysfs_write(root, "/sys/devices/system/node/online", "0-1\n"), 0);
	assert_int_equal(fake_sysfs_write(root, "/sys/devices/system/node/has_memory", "0\n"), 0);
	assert_int_equal(fake_sysfs_write(root, "/sys/devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages",
					  "4\n"), 0);
	return root;
}

static void test_hugepages(void **state)
{
	char *root = fake_host(), err[768], want[768];

	/* Anonymous memory needs no huge pages. */
	assert_int_equal(resources_check_hugepages(root, MEMORY_BACKING_ANONYMOUS, 1ULL << 30, -1, err, sizeof(err)), 0);
	/* 16 MiB = 8 pages: exactly what is usable. */
	assert_int_equal(resources_check_hugepages(root, MEMORY_BACKING_HUGETLB, 16ULL << 20, -1, err, sizeof(err)), 0);
	/* 512 MiB = 256 pages: the message names the count needed. */
	assert_int_equal(resources_check_hugepages(root, MEMORY_BACKING_HUGETLB, 512ULL << 20, -1, err, sizeof(err)),
			 -ENOMEM);
	snprintf(want, sizeof(want),
		 "memory-backing = hugetlb: 512 MiB of guest RAM needs 256 free 2 MiB huge pages, the host has 8 "
		 "(free_hugepages 10, resv_hugepages 2 in %s/sys/kernel/mm/hugepages/hugepages-2048kB); reserve "
		 "more with [hugepages] in /etc/partvm/host.conf or sysctl vm.nr_hugepages", root);
	assert_string_equal(err, want);
	/* 18 MiB = 9 pages: one more than usable, though 10 are free. */
	assert_int_equal(resources_check_hugepages(root, MEMORY_BACKING_HUGETLB, 18ULL << 20, -1, err, sizeof(err)),
			 -ENOMEM);
	assert_non_null(strstr(err, "needs 9 free 2 MiB huge pages, the host has 8"));
	/* On node 0 only 4 are free. */
	assert_int_equal(resources_check_hugepages(root, MEMORY_BACKING_HUGETLB, 16ULL << 20, 0, err, sizeof(err)),
			 -ENOMEM);
	assert_non_null(strstr(err, "needs 8 free 2 MiB huge pages on NUMA node 0 (numa-node), the node has 4"));
	assert_int_equal(resources_check_hugepages(root, MEMORY_BACKING_HUGETLB, 8ULL << 20, 0, err, sizeof(err)), 0);
	/* No 1 GiB pages at all. */
	assert_int_equal(resources_check_hugepages(root, MEMORY_BACKING_HUGETLB_1G, 1ULL << 30, -1, err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_non_null(strstr(err, "memory-backing = hugetlb-1g: this host has no 1 GiB huge pages"));
	fake_sysfs_destroy(root);
}

static void test_numa_node(void **state)
{
	char *root = fake_host(), err[512];

	assert_int_equal(resources_check_numa_node(root, 0, err, sizeof(err)), 0);
	assert_int_equal(resources_check_numa_node(root, 2, err, sizeof(err)), -ENXIO);
	assert_string_equal(err, "numa-node = 2: no such NUMA node; this host has node(s) 0-1");
	assert_int_equal(resources_check_numa_node(root, 1, err, sizeof(err)), -ENXIO);
	assert_string_equal(err, "numa-node = 1: NUMA node 1 has no memory (nodes with memory: 0)");
	fake_sysfs_destroy(root);

	/* A kernel without NUMA: no node directory. */
	root = fake_sysfs_create();
	assert_int_equal(resources_check_numa_node(root, 0, err, sizeof(err)), -ENXIO);
	assert_non_null(strstr(err, "numa-node = 0: this host reports no NUMA nodes"));
	fake_sysfs_destroy(root);
}

static void test_config_keys(void **state)
{
	struct config_error err = { { 0 } };
	struct vm_config c;

	config_init(&c, board_device_types);
	assert_int_equal(c.shutdown_timeout, CONFIG_DEFAULT_SHUTDOWN_TIMEOUT);
	assert_int_equal(c.numa_node, -1);
	assert_int_equal(c.memory_backing, MEMORY_BACKING_ANONYMOUS);
	assert_int_equal(config_load_string(&c, "p.conf",
					    "[partition]\ncpus = 4\nmemory = 1G\ncpu-affinity = 2-5\n"
					    "memory-backing = hugetlb\nmlock = yes\nnuma-node = 1\n"
					    "shutdown-timeout = 90\n", &err), 0);
	assert_int_equal(c.ncpu_affinity, 4);
	assert_int_equal(c.cpu_affinity[0], 2);
	assert_int_equal(c.cpu_affinity[3], 5);
	assert_int_equal(c.cpu_affinity_line, 4);
	assert_int_equal(c.memory_backing, MEMORY_BACKING_HUGETLB);
	assert_true(c.mlock);
	assert_int_equal(c.numa_node, 1);
	assert_int_equal(c.shutdown_timeout, 90);
	/* A config file needs a kernel; any readable file will do here. */
	assert_int_equal(config_set_string(&c.kernel, "/proc/self/exe"), 0);
	if (config_validate(&c, &err) != 0)
		fail_msg("%s", err.msg);

	/* Checked once everything is known: one CPU per vCPU ... */
	c.cpus = 2;
	assert_int_equal(config_validate(&c, &err), -EINVAL);
	assert_string_equal(err.msg, "p.conf:4: cpu-affinity names 4 host CPUs for 2 vCPUs (cpus = 2); "
				     "give one host CPU per vCPU");
	c.cpus = 4;
	/* ... and RAM in whole pages of the backing. */
	c.memory = 1025ULL << 20;
	assert_int_equal(config_validate(&c, &err), -EINVAL);
	assert_string_equal(err.msg, "p.conf:5: memory-backing = hugetlb: memory (1025 MiB) is not a multiple "
				     "of the 2 MiB page size");
	config_free(&c);
}

static void expect_key_error(const char *text, const char *msg)
{
	struct config_error err = { { 0 } };
	struct vm_config c;

	config_init(&c, board_device_types);
	if (config_load_string(&c, "p.conf", text, &err) != -EINVAL)
		fail_msg("accepted: %s", text);
	if (strcmp(err.msg, msg))
		fail_msg("expected \"%s\", got \"%s\"", msg, err.msg);
	config_free(&c);
}

static void test_config_key_errors(void **state)
{
	expect_key_error("[partition]\ncpu-affinity = 2-\n",
			 "p.conf:2: cpu-affinity = '2-': a range needs an end (2-5)");
	expect_key_error("[partition]\ncpu-affinity = 1,1\n", "p.conf:2: cpu-affinity = '1,1': a CPU is named twice");
	expect_key_error("[partition]\n\nmemory-backing = hugepages\n",
			 "p.conf:3: memory-backing = 'hugepages': expected anonymous, hugetlb (2 MiB pages) or hugetlb-1g");
	expect_key_error("[partition]\nmlock = sometimes\n", "p.conf:2: mlock = 'sometimes': expected yes or no");
	expect_key_error("[partition]\nnuma-node = -1\n", "p.conf:2: numa-node = '-1': not a node number");
	expect_key_error("[partition]\nnuma-node = 4096\n", "p.conf:2: numa-node = '4096': out of range (0..1023)");
	expect_key_error("[partition]\nshutdown-timeout = 30s\n",
			 "p.conf:2: shutdown-timeout = '30s': not a number of seconds");
	expect_key_error("[partition]\nshutdown-timeout = 3601\n",
			 "p.conf:2: shutdown-timeout = '3601': out of range (0..3600 seconds)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_list),
		cmocka_unit_test(test_format_cpu_set),
		cmocka_unit_test(test_backing),
		cmocka_unit_test(test_hugepages),
		cmocka_unit_test(test_numa_node),
		cmocka_unit_test(test_config_keys),
		cmocka_unit_test(test_config_key_errors),
	};
	return cmocka_run_group_tests_name("resources", tests, NULL, NULL);
}
