// SPDX-License-Identifier: GPL-2.0-only
/* [sriov "NAME"] sections of a partition config: names, repeats, keys and
 * FILE:LINE messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/board.h"
#include "vfio/vfio.h"
#include "core/vm/config.h"
#include "sriov/sriov.h"

static char path[64];

static void write_config(const char *text)
{
	int fd;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/partvm-poolconf-XXXXXX.conf");
	fd = mkstemps(path, 5);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A partition config, read the way `partvm run` and `sriov acquire` do. */
static int load(const char *text, char *partition, struct sriov_pool_requests *reqs, char *err,
		size_t errlen)
{
	struct vm_config c;
	struct config_error e = { { 0 } };
	int r;

	write_config(text);
	config_init(&c, board_device_types);
	r = config_load(&c, path, &e);
	if (r == 0)
		r = config_set_default_name(&c);
	unlink(path);
	snprintf(err, errlen, "%s", e.msg);
	if (r == 0) {
		snprintf(partition, SRIOV_NAME_MAX, "%s", c.name);
		struct vfio_conf *vc = config_singleton(&c, &vfio_device_type);

		*reqs = vc->pools;
		memset(&vc->pools, 0, sizeof(vc->pools));
	}
	config_free(&c);
	return r;
}

static void test_section_names(void **state)
{
	char name[SRIOV_NAME_MAX];

	assert_int_equal(sriov_section_name("sriov \"uplink\"", name, sizeof(name)), 1);
	assert_string_equal(name, "uplink");
	assert_int_equal(sriov_section_name("sriov", name, sizeof(name)), 1);
	assert_string_equal(name, "");
	assert_int_equal(sriov_section_name(" sriov  \"a-1.b_2\" ", name, sizeof(name)), 1);
	assert_string_equal(name, "a-1.b_2");
	assert_int_equal(sriov_section_name("partition", name, sizeof(name)), 0);
	assert_int_equal(sriov_section_name("sriovx", name, sizeof(name)), 0);
	assert_int_equal(sriov_section_name("sriov \"\"", name, sizeof(name)), -EINVAL);
	assert_int_equal(sriov_section_name("sriov \"a b\"", name, sizeof(name)), -EINVAL);
	assert_int_equal(sriov_section_name("sriov uplink", name, sizeof(name)), -EINVAL);
	assert_int_equal(sriov_section_name("sriov \"a\" x", name, sizeof(name)), -EINVAL);
}

static void test_two_pools_and_partition_name(void **state)
{
	struct sriov_pool_requests reqs = { 0 };
	char partition[SRIOV_NAME_MAX], err[512] = "";

	assert_int_equal(load("[partition]\nname = web\nmemory = 512M\n\n"
			      "[sriov \"uplink\"]\npf = eth0\nmac = 02:00:00:00:01:01\nvlan = 100\n"
			      "trust = off\nspoofchk = on\nmax-rate = 1000\n\n"
			      "[boot]\nkernel = /boot/vmlinuz\n\n"
			      "[sriov \"storage\"]\npf = 0000:00:02.0\nvlan = 200\n",
			      partition, &reqs, err, sizeof(err)),
			 0);
	assert_string_equal(partition, "web");
	assert_int_equal(reqs.n, 2);
	assert_string_equal(reqs.v[0].name, "uplink");
	assert_string_equal(reqs.v[0].pf, "eth0");
	assert_int_equal(reqs.v[0].line, 6);
	assert_int_equal(reqs.v[0].settings.cfg.vlan, 100);
	assert_int_equal(reqs.v[0].settings.cfg.max_rate, 1000);
	assert_int_equal(reqs.v[0].settings.keys,
			 SRIOV_KEY_BIT(SRIOV_KEY_MAC) | SRIOV_KEY_BIT(SRIOV_KEY_VLAN) |
				 SRIOV_KEY_BIT(SRIOV_KEY_TRUST) | SRIOV_KEY_BIT(SRIOV_KEY_SPOOFCHK) |
				 SRIOV_KEY_BIT(SRIOV_KEY_MAX_RATE));
	assert_string_equal(reqs.v[1].name, "storage");
	assert_string_equal(reqs.v[1].pf, "0000:00:02.0");
	assert_int_equal(reqs.v[1].settings.keys, SRIOV_KEY_BIT(SRIOV_KEY_VLAN));
	sriov_pool_requests_free(&reqs);
}

static void test_name_defaults_to_file(void **state)
{
	struct sriov_pool_requests reqs = { 0 };
	char partition[SRIOV_NAME_MAX], err[512] = "";

	assert_int_equal(load("[sriov]\npf = eth0\n", partition, &reqs, err, sizeof(err)), 0);
	/* The file's name without .conf, as for `partvm run`. */
	assert_true(!strncmp(partition, "partvm-poolconf-", 16) && strlen(partition) == 22);
	assert_int_equal(reqs.n, 1);
	assert_string_equal(reqs.v[0].name, "");
	sriov_pool_requests_free(&reqs);
}

struct bad {
	const char *text;
	const char *suffix; /* of the message, after "PATH:" */
};

static void test_errors_name_file_and_line(void **state)
{
	static const struct bad cases[] = {
		{ "[sriov \"a\"]\npf = eth0\n\n[sriov \"a\"]\nvlan = 5\n",
		  "5: [sriov \"a\"] appears twice (first at line 2)" },
		{ "[sriov \"a\"]\npf = eth0\n[partition]\nname = x\n[sriov \"a\"]\nvlan = 5\n",
		  "6: [sriov \"a\"] appears twice (first at line 2)" },
		{ "[sriov]\npf = eth0\n[sriov]\nvlan = 5\n",
		  "4: [sriov] appears twice (first at line 2); name several pools [sriov \"NAME\"]" },
		{ "[sriov \"a\"]\nvlan = 5\n", "2: [sriov \"a\"] has no pf = ..." },
		{ "[sriov \"a\"]\npf = eth0\nvlan = 4095\n", "3: vlan: 4095 is above 4094" },
		{ "[sriov \"a\"]\npf = eth0\nspeed = 10\n",
		  "3: unknown key 'speed' in [sriov \"a\"] (known: pf, mac, vlan, qos, vlan-proto, "
		  "spoofchk, trust, link-state, min-rate, max-rate, query-rss)" },
		{ "[sriov \"a\"]\npf = eth0\nmac = ff:ff:ff:ff:ff:ff\n",
		  "3: mac: ff:ff:ff:ff:ff:ff is the broadcast address" },
		{ "[sriov \"a\"]\npf = eth0\nmin-rate = 500\nmax-rate = 100\n",
		  "2: min-rate: 500 is above max-rate 100 (Mbit/s)" },
		{ "[sriov \"a b\"]\npf = eth0\n",
		  "2: [sriov \"a b\"]: not a pool section; write [sriov \"NAME\"] (NAME: letters, "
		  "digits, - _ .)" },
		{ "[sriov \"a\"]\npf = eth0\ntrust\n",
		  "3: syntax error (expected [section] or key = value)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sriov_pool_requests reqs = { 0 };
		char partition[SRIOV_NAME_MAX], err[512] = "", want[600];

		assert_int_equal(load(cases[i].text, partition, &reqs, err, sizeof(err)), -EINVAL);
		snprintf(want, sizeof(want), "%s:%s", path, cases[i].suffix);
		assert_string_equal(err, want);
		sriov_pool_requests_free(&reqs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_section_names),
		cmocka_unit_test(test_two_pools_and_partition_name),
		cmocka_unit_test(test_name_defaults_to_file),
		cmocka_unit_test(test_errors_name_file_and_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
