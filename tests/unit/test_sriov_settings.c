// SPDX-License-Identifier: GPL-2.0-only
/* The key=value parser of `sriov set` and [sriov] sections: every key, and
 * every bad input named in one line that names the key. */
#include <errno.h>
#include <linux/if_link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "sriov/sriov.h"

static void test_every_key(void **state)
{
	static const char *const words[] = {
		"mac=02:AB:cd:00:00:01", "vlan=4094", "qos=7", "vlan-proto=802.1ad",
		"spoofchk=off", "trust=yes", "link-state=disable", "min-rate=10",
		"max-rate=1000", "query-rss=on",
	};
	struct sriov_settings s = { 0 };
	char err[256];
	static const uint8_t mac[ETH_ALEN] = { 0x02, 0xab, 0xcd, 0, 0, 1 };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		assert_int_equal(sriov_parse_assignment(&s, words[i], err, sizeof(err)), 0);
	assert_int_equal(s.keys, SRIOV_KEYS_ALL);
	assert_memory_equal(s.cfg.mac, mac, ETH_ALEN);
	assert_int_equal(s.cfg.vlan, 4094);
	assert_int_equal(s.cfg.qos, 7);
	assert_int_equal(s.cfg.vlan_proto, ETH_P_8021AD);
	assert_int_equal(s.cfg.spoofchk, 0);
	assert_int_equal(s.cfg.trust, 1);
	assert_int_equal(s.cfg.link_state, IFLA_VF_LINK_STATE_DISABLE);
	assert_int_equal(s.cfg.min_rate, 10);
	assert_int_equal(s.cfg.max_rate, 1000);
	assert_int_equal(s.cfg.query_rss, 1);
}

static void test_booleans_and_names(void **state)
{
	static const char *const on[] = { "on", "ON", "yes", "true", "1" };
	static const char *const off[] = { "off", "No", "false", "0" };
	struct sriov_settings s = { 0 };
	char err[256];

	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		s.cfg.trust = 0;
		assert_int_equal(sriov_parse_setting(&s, "trust", on[i], err, sizeof(err)), 0);
		assert_int_equal(s.cfg.trust, 1);
	}
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		s.cfg.spoofchk = 1;
		assert_int_equal(sriov_parse_setting(&s, "spoofchk", off[i], err, sizeof(err)), 0);
		assert_int_equal(s.cfg.spoofchk, 0);
	}
	assert_int_equal(sriov_parse_setting(&s, "vlan-proto", "802.1q", err, sizeof(err)), 0);
	assert_int_equal(s.cfg.vlan_proto, ETH_P_8021Q);
	assert_int_equal(sriov_parse_setting(&s, "link-state", "enable", err, sizeof(err)), 0);
	assert_int_equal(s.cfg.link_state, IFLA_VF_LINK_STATE_ENABLE);
	/* A zero MAC is how a VF's administrative MAC is cleared. */
	assert_int_equal(sriov_parse_setting(&s, "mac", "00:00:00:00:00:00", err, sizeof(err)), 0);
}

struct bad {
	const char *word;
	int err;
	const char *message;
};

static void test_bad_input(void **state)
{
	static const struct bad cases[] = {
		{ "mac=ff:ff:ff:ff:ff:ff", -EINVAL, "mac: ff:ff:ff:ff:ff:ff is the broadcast address" },
		{ "mac=01:00:5e:00:00:01", -EINVAL, "mac: 01:00:5e:00:00:01 is a multicast address" },
		{ "mac=33:33:00:00:00:01", -EINVAL, "mac: 33:33:00:00:00:01 is a multicast address" },
		{ "mac=02:00:00:00:00", -EINVAL, "mac: '02:00:00:00:00' is not a MAC address (xx:xx:xx:xx:xx:xx)" },
		{ "mac=02-00-00-00-00-01", -EINVAL, "mac: '02-00-00-00-00-01' is not a MAC address (xx:xx:xx:xx:xx:xx)" },
		{ "mac=02:00:00:00:00:0g", -EINVAL, "mac: '02:00:00:00:00:0g' is not a MAC address (xx:xx:xx:xx:xx:xx)" },
		{ "mac=02:00:00:00:00:011", -EINVAL, "mac: '02:00:00:00:00:011' is not a MAC address (xx:xx:xx:xx:xx:xx)" },
		{ "vlan=4095", -EINVAL, "vlan: 4095 is above 4094" },
		{ "vlan=-1", -EINVAL, "vlan: '-1' is not a number" },
		{ "vlan=", -EINVAL, "vlan: '' is not a number" },
		{ "vlan=0x10", -EINVAL, "vlan: '0x10' is not a number" },
		{ "qos=8", -EINVAL, "qos: 8 is above 7" },
		{ "vlan-proto=802.1x", -EINVAL, "vlan-proto: '802.1x' is neither 802.1Q nor 802.1ad" },
		{ "spoofchk=maybe", -EINVAL, "spoofchk: 'maybe' is not a boolean (on/off, yes/no, true/false, 1/0)" },
		{ "trust=2", -EINVAL, "trust: '2' is not a boolean (on/off, yes/no, true/false, 1/0)" },
		{ "query-rss=", -EINVAL, "query-rss: '' is not a boolean (on/off, yes/no, true/false, 1/0)" },
		{ "link-state=up", -EINVAL, "link-state: 'up' is not auto, enable or disable" },
		{ "min-rate=fast", -EINVAL, "min-rate: 'fast' is not a number (Mbit/s)" },
		{ "max-rate=4294967296", -EINVAL, "max-rate: 4294967296 is above 4294967295 (Mbit/s)" },
		{ "max-rate=-5", -EINVAL, "max-rate: '-5' is not a number (Mbit/s)" },
		{ "speed=10", -ENOENT, "unknown key 'speed' (known: mac, vlan, qos, vlan-proto, spoofchk, trust, link-state, min-rate, max-rate, query-rss)" },
		{ "vlan", -EINVAL, "'vlan' is not key=value" },
		{ "=5", -EINVAL, "'=5' is not key=value" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sriov_settings s = { 0 };
		char err[256] = "";

		assert_int_equal(sriov_parse_assignment(&s, cases[i].word, err, sizeof(err)),
				 cases[i].err);
		assert_string_equal(err, cases[i].message);
		/* A rejected key is not marked as given. */
		assert_int_equal(s.keys, 0);
	}
}

static void test_rates_checked_after_merge(void **state)
{
	struct sriov_vf_config cur = { .vlan_proto = ETH_P_8021Q, .max_rate = 100 }, out;
	struct sriov_settings s = { 0 };
	char err[256] = "";

	/* Both given, contradicting each other. */
	assert_int_equal(sriov_parse_assignment(&s, "min-rate=200", err, sizeof(err)), 0);
	assert_int_equal(sriov_parse_assignment(&s, "max-rate=100", err, sizeof(err)), 0);
	sriov_settings_merge(&s, &cur, &out);
	assert_int_equal(sriov_config_check(&out, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "min-rate: 200 is above max-rate 100 (Mbit/s)");

	/* Only min-rate given: it is checked against the VF's current max. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(sriov_parse_assignment(&s, "min-rate=150", err, sizeof(err)), 0);
	sriov_settings_merge(&s, &cur, &out);
	assert_int_equal(out.max_rate, 100);
	assert_int_equal(sriov_config_check(&out, err, sizeof(err)), -EINVAL);

	/* max-rate 0 is "no limit". */
	assert_int_equal(sriov_parse_assignment(&s, "max-rate=0", err, sizeof(err)), 0);
	sriov_settings_merge(&s, &cur, &out);
	assert_int_equal(sriov_config_check(&out, err, sizeof(err)), 0);
}

static void test_merge_keeps_unset_keys(void **state)
{
	struct sriov_vf_config cur = {
		.mac = { 0x02, 1, 2, 3, 4, 5 }, .vlan = 7, .qos = 2, .vlan_proto = ETH_P_8021Q,
		.spoofchk = 1, .trust = 0, .query_rss = -1, .max_rate = 50,
	}, out;
	struct sriov_settings s = { 0 };
	char err[256];

	assert_int_equal(sriov_parse_assignment(&s, "trust=on", err, sizeof(err)), 0);
	sriov_settings_merge(&s, &cur, &out);
	assert_int_equal(out.trust, 1);
	assert_memory_equal(out.mac, cur.mac, ETH_ALEN);
	assert_int_equal(out.vlan, 7);
	assert_int_equal(out.qos, 2);
	assert_int_equal(out.max_rate, 50);
	assert_int_equal(out.query_rss, -1);
	assert_false(sriov_attr_equal(SRIOV_ATTR_TRUST, &cur, &out));
	assert_true(sriov_attr_equal(SRIOV_ATTR_VLAN, &cur, &out));
}

static void test_neutral_and_describe(void **state)
{
	struct sriov_vf_config cur = {
		.mac = { 0x02, 0, 0, 0, 1, 1 }, .vlan = 100, .qos = 3, .vlan_proto = ETH_P_8021Q,
		.spoofchk = 0, .trust = 1, .min_rate = 10, .max_rate = 1000,
	}, out;
	struct sriov_settings n;
	char buf[256];

	sriov_settings_neutral(&n);
	sriov_settings_merge(&n, &cur, &out);
	assert_string_equal(sriov_format_mac(out.mac, buf), "00:00:00:00:00:00");
	assert_int_equal(out.vlan, 0);
	assert_int_equal(out.qos, 0);
	assert_int_equal(out.trust, 0);
	assert_int_equal(out.spoofchk, 1);
	assert_int_equal(out.min_rate, 0);
	assert_int_equal(out.max_rate, 0);

	/* Messages name only the keys of an attribute that change. */
	sriov_attr_describe(SRIOV_ATTR_VLAN, &cur, &out, buf, sizeof(buf));
	assert_string_equal(buf, "vlan=0 qos=0");
	sriov_attr_describe(SRIOV_ATTR_RATE, &cur, &out, buf, sizeof(buf));
	assert_string_equal(buf, "min-rate=0 max-rate=0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_booleans_and_names),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_rates_checked_after_merge),
		cmocka_unit_test(test_merge_keeps_unset_keys),
		cmocka_unit_test(test_neutral_and_describe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
