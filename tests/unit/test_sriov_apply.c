// SPDX-License-Identifier: GPL-2.0-only
/*
 * sriov_vf_set() against a fake PF driver at the netlink edge: the mocked
 * rtnl_link_get_kernel() answers with the RTM_NEWLINK message a kernel
 * would send (IFLA_VFINFO_LIST, parsed by libnl itself), and the mocked
 * rtnl_link_change() decodes the message libnl built for the kernel, so
 * the tests see exactly what would go on the wire. The mocks are this
 * program's own nl_connect(), rtnl_link_get_kernel() and
 * rtnl_link_change(), exported (-rdynamic): sriov/netlink.c looks libnl's
 * calls up in the process's global scope, where the program comes first.
 */
// LDFLAGS: -rdynamic
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "sriov/sriov.h"

#define NVF 3
#define IFINDEX 2

/* What the fake igb-like driver holds, what it refuses, and a log of the
 * VF attributes each change message carried. */
struct wire {
	int type; /* IFLA_VF_* */
	unsigned vf;
	struct sriov_vf_config v;
};

static struct {
	struct sriov_vf_config vf[NVF];
	int refuse_type; /* IFLA_VF_* the driver answers with refuse_err */
	int refuse_err;  /* -NLE_* */
	int ignore_type; /* IFLA_VF_* the driver accepts but does not apply */
	bool no_vfinfo;  /* a PF driver without ndo_get_vf_config */
	struct wire log[32];
	int nlog;
} fake;

static void fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
	for (int i = 0; i < NVF; i++) {
		fake.vf[i].vlan_proto = ETH_P_8021Q;
		fake.vf[i].spoofchk = 1;
		fake.vf[i].trust = 0;
		fake.vf[i].query_rss = -1; /* like igb: not reported */
	}
}

int nl_connect(struct nl_sock *sk, int protocol)
{
	return 0;
}

static void got_object(struct nl_object *obj, void *arg)
{
	nl_object_get(obj);
	*(struct rtnl_link **)arg = (struct rtnl_link *)obj;
}

/* RTM_NEWLINK as rtnl_fill_vfinfo() builds it (net/core/rtnetlink.c). */
int rtnl_link_get_kernel(struct nl_sock *sk, int ifindex, const char *name,
				struct rtnl_link **result)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	struct nlattr *list;
	int r;

	assert_non_null(msg);
	nlmsg_set_proto(msg, NETLINK_ROUTE);
	assert_int_equal(nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
	nla_put_string(msg, IFLA_IFNAME, "eth0");
	nla_put_u32(msg, IFLA_NUM_VF, NVF);
	list = nla_nest_start(msg, IFLA_VFINFO_LIST);
	for (unsigned i = 0; i < NVF && !fake.no_vfinfo; i++) {
		const struct sriov_vf_config *c = &fake.vf[i];
		struct nlattr *info = nla_nest_start(msg, IFLA_VF_INFO), *vl;
		struct ifla_vf_mac mac = { .vf = i };
		struct ifla_vf_vlan vlan = { .vf = i, .vlan = c->vlan, .qos = c->qos };
		struct ifla_vf_vlan_info vi = { .vf = i, .vlan = c->vlan, .qos = c->qos,
						.vlan_proto = htons(c->vlan_proto) };
		struct ifla_vf_tx_rate tx = { .vf = i, .rate = c->max_rate };
		struct ifla_vf_rate rate = { .vf = i, .min_tx_rate = c->min_rate,
					     .max_tx_rate = c->max_rate };
		struct ifla_vf_spoofchk sc = { .vf = i, .setting = (__u32)(int)c->spoofchk };
		struct ifla_vf_link_state ls = { .vf = i, .link_state = c->link_state };
		struct ifla_vf_rss_query_en rss = { .vf = i, .setting = (__u32)(int)c->query_rss };
		struct ifla_vf_trust tr = { .vf = i, .setting = (__u32)(int)c->trust };

		memcpy(mac.mac, c->mac, ETH_ALEN);
		nla_put(msg, IFLA_VF_MAC, sizeof(mac), &mac);
		nla_put(msg, IFLA_VF_VLAN, sizeof(vlan), &vlan);
		vl = nla_nest_start(msg, IFLA_VF_VLAN_LIST);
		nla_put(msg, IFLA_VF_VLAN_INFO, sizeof(vi), &vi);
		nla_nest_end(msg, vl);
		nla_put(msg, IFLA_VF_TX_RATE, sizeof(tx), &tx);
		nla_put(msg, IFLA_VF_RATE, sizeof(rate), &rate);
		nla_put(msg, IFLA_VF_SPOOFCHK, sizeof(sc), &sc);
		nla_put(msg, IFLA_VF_LINK_STATE, sizeof(ls), &ls);
		nla_put(msg, IFLA_VF_RSS_QUERY_EN, sizeof(rss), &rss);
		nla_put(msg, IFLA_VF_TRUST, sizeof(tr), &tr);
		nla_nest_end(msg, info);
	}
	nla_nest_end(msg, list);
	/* Without ndo_get_vf_config the kernel sends IFLA_NUM_VF only. */
	if (fake.no_vfinfo)
		nla_nest_cancel(msg, list);

	*result = NULL;
	r = nl_msg_parse(msg, got_object, result);
	nlmsg_free(msg);
	assert_int_equal(r, 0);
	assert_non_null(*result);
	return 0;
}

/* Apply one IFLA_VF_* of a change to the fake driver's state. */
static int driver_apply(int type, struct nlattr *a, struct wire *w)
{
	struct sriov_vf_config *c;
	void *d = nla_data(a);

	/* Every struct ifla_vf_* starts with __u32 vf; the VLAN list nests
	 * one struct ifla_vf_vlan_info. */
	if (type == IFLA_VF_VLAN_LIST)
		d = nla_data(nla_data(a));
	w->type = type;
	w->vf = *(__u32 *)d;
	assert_true(w->vf < NVF);
	c = &fake.vf[w->vf];
	w->v = *c;
	switch (type) {
	case IFLA_VF_MAC:
		memcpy(w->v.mac, ((struct ifla_vf_mac *)d)->mac, ETH_ALEN);
		break;
	case IFLA_VF_VLAN:
		w->v.vlan = (uint16_t)((struct ifla_vf_vlan *)d)->vlan;
		w->v.qos = (uint8_t)((struct ifla_vf_vlan *)d)->qos;
		w->v.vlan_proto = ETH_P_8021Q;
		break;
	case IFLA_VF_VLAN_LIST: {
		struct ifla_vf_vlan_info *vi = d;

		w->v.vlan = (uint16_t)vi->vlan;
		w->v.qos = (uint8_t)vi->qos;
		w->v.vlan_proto = ntohs(vi->vlan_proto);
		break;
	}
	case IFLA_VF_RATE:
		w->v.min_rate = ((struct ifla_vf_rate *)d)->min_tx_rate;
		w->v.max_rate = ((struct ifla_vf_rate *)d)->max_tx_rate;
		break;
	case IFLA_VF_SPOOFCHK:
		w->v.spoofchk = (int8_t)((struct ifla_vf_spoofchk *)d)->setting;
		break;
	case IFLA_VF_TRUST:
		w->v.trust = (int8_t)((struct ifla_vf_trust *)d)->setting;
		break;
	case IFLA_VF_LINK_STATE:
		w->v.link_state = ((struct ifla_vf_link_state *)d)->link_state;
		break;
	case IFLA_VF_RSS_QUERY_EN:
		w->v.query_rss = (int8_t)((struct ifla_vf_rss_query_en *)d)->setting;
		break;
	default:
		fail_msg("unexpected VF attribute %d", type);
	}
	if (type == fake.refuse_type)
		return fake.refuse_err;
	if (type != fake.ignore_type)
		*c = w->v;
	return 0;
}

int rtnl_link_change(struct nl_sock *sk, struct rtnl_link *orig, struct rtnl_link *changes,
			    int flags)
{
	struct nlattr *tb[IFLA_MAX + 1], *info, *a;
	struct nl_msg *msg = NULL;
	int rem, rem2, r = 0, n = 0;

	assert_int_equal(rtnl_link_build_change_request(orig, changes, flags, &msg), 0);
	assert_int_equal(nlmsg_parse(nlmsg_hdr(msg), sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL),
			 0);
	assert_int_equal(((struct ifinfomsg *)nlmsg_data(nlmsg_hdr(msg)))->ifi_index, IFINDEX);
	assert_non_null(tb[IFLA_VFINFO_LIST]);
	nla_for_each_nested(info, tb[IFLA_VFINFO_LIST], rem) {
		nla_for_each_nested(a, info, rem2) {
			assert_true(fake.nlog < 32);
			r = driver_apply(nla_type(a), a, &fake.log[fake.nlog++]);
			n++;
			if (r < 0)
				break;
		}
	}
	nlmsg_free(msg);
	/* partvm writes one attribute per message. */
	assert_int_equal(n, 1);
	return r;
}

static struct sriov_nl *open_nl(void)
{
	struct sriov_nl *nl = NULL;

	assert_int_equal(sriov_nl_open(&nl), 0);
	return nl;
}

static void parse(struct sriov_settings *s, const char *word)
{
	char err[256];

	assert_int_equal(sriov_parse_assignment(s, word, err, sizeof(err)), 0);
}

static const uint8_t mac_a[ETH_ALEN] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t mac_old[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x99 };

static void test_read_back_as_reported(void **state)
{
	struct sriov_nl *nl = open_nl();
	struct sriov_vf_config c;

	fake_reset();
	memcpy(fake.vf[1].mac, mac_a, ETH_ALEN);
	fake.vf[1].vlan = 42;
	fake.vf[1].qos = 5;
	fake.vf[1].max_rate = 300;
	fake.vf[1].trust = 1;
	assert_int_equal(sriov_nl_read_vf(nl, IFINDEX, 1, &c), 0);
	assert_memory_equal(c.mac, mac_a, ETH_ALEN);
	assert_int_equal(c.vlan, 42);
	assert_int_equal(c.qos, 5);
	assert_int_equal(c.vlan_proto, ETH_P_8021Q);
	assert_int_equal(c.max_rate, 300);
	assert_int_equal(c.min_rate, 0);
	assert_int_equal(c.trust, 1);
	assert_int_equal(c.spoofchk, 1);
	/* The kernel's -1 ("not reported") stays visible as unsupported. */
	assert_int_equal(c.query_rss, -1);
	assert_int_equal(sriov_nl_read_vf(nl, IFINDEX, NVF, &c), -ENOENT);
	sriov_nl_close(nl);
}

static void test_pf_without_vf_attributes(void **state)
{
	struct sriov_nl *nl = open_nl();
	struct sriov_vf_config c[NVF];
	bool present[NVF] = { true, true, true };

	fake_reset();
	fake.no_vfinfo = true;
	assert_int_equal(sriov_nl_read_vf(nl, IFINDEX, 0, &c[0]), -ENOENT);
	assert_int_equal(sriov_nl_read_vfs(nl, IFINDEX, c, present, NVF), 0);
	assert_false(present[0] || present[1] || present[2]);
	sriov_nl_close(nl);
}

static void test_set_writes_only_what_differs(void **state)
{
	struct sriov_nl *nl = open_nl();
	struct sriov_settings s = { 0 };
	struct sriov_apply_result res;
	char err[512];

	fake_reset();
	parse(&s, "mac=02:11:22:33:44:55");
	parse(&s, "vlan=100");
	parse(&s, "trust=on");
	parse(&s, "spoofchk=on"); /* already on: not written */
	assert_int_equal(sriov_vf_set(nl, IFINDEX, 1, &s, &res, err, sizeof(err)), 0);

	assert_int_equal(fake.nlog, 3);
	assert_int_equal(fake.log[0].type, IFLA_VF_MAC);
	assert_int_equal(fake.log[1].type, IFLA_VF_VLAN);
	assert_int_equal(fake.log[2].type, IFLA_VF_TRUST);
	assert_memory_equal(fake.vf[1].mac, mac_a, ETH_ALEN);
	assert_int_equal(fake.vf[1].vlan, 100);
	assert_int_equal(fake.vf[1].trust, 1);
	assert_memory_equal(res.after.mac, mac_a, ETH_ALEN);
	assert_int_equal(res.written, SRIOV_ATTR_BIT(SRIOV_ATTR_MAC) |
					      SRIOV_ATTR_BIT(SRIOV_ATTR_VLAN) |
					      SRIOV_ATTR_BIT(SRIOV_ATTR_TRUST));
	/* The other VFs are untouched. */
	assert_int_equal(fake.vf[0].vlan, 0);
	assert_int_equal(fake.vf[2].trust, 0);
	sriov_nl_close(nl);
}

static void test_rollback_when_second_attribute_fails(void **state)
{
	struct sriov_nl *nl = open_nl();
	struct sriov_settings s = { 0 };
	struct sriov_apply_result res;
	char err[512];

	fake_reset();
	memcpy(fake.vf[1].mac, mac_old, ETH_ALEN);
	fake.refuse_type = IFLA_VF_TRUST;
	fake.refuse_err = -NLE_OPNOTSUPP;
	parse(&s, "mac=02:11:22:33:44:55");
	parse(&s, "trust=on");
	assert_int_equal(sriov_vf_set(nl, IFINDEX, 1, &s, &res, err, sizeof(err)), -EOPNOTSUPP);

	/* MAC written, trust refused, MAC written back. */
	assert_int_equal(fake.nlog, 3);
	assert_int_equal(fake.log[0].type, IFLA_VF_MAC);
	assert_memory_equal(fake.log[0].v.mac, mac_a, ETH_ALEN);
	assert_int_equal(fake.log[1].type, IFLA_VF_TRUST);
	assert_int_equal(fake.log[2].type, IFLA_VF_MAC);
	assert_memory_equal(fake.log[2].v.mac, mac_old, ETH_ALEN);
	assert_memory_equal(fake.vf[1].mac, mac_old, ETH_ALEN);
	assert_int_equal(fake.vf[1].trust, 0);
	assert_int_equal(res.failed, SRIOV_ATTR_TRUST);
	assert_int_equal(res.restored, SRIOV_ATTR_BIT(SRIOV_ATTR_MAC));
	assert_int_equal(res.rollback_error, 0);
	assert_string_equal(err, "the driver refused trust=on: Operation not supported; "
				 "restored mac=02:00:00:00:00:99");
	sriov_nl_close(nl);
}

static void test_rollback_when_value_does_not_stick(void **state)
{
	struct sriov_nl *nl = open_nl();
	struct sriov_settings s = { 0 };
	struct sriov_apply_result res;
	char err[512];

	fake_reset();
	fake.vf[0].spoofchk = 1;
	fake.ignore_type = IFLA_VF_VLAN;
	parse(&s, "spoofchk=off");
	parse(&s, "vlan=7");
	parse(&s, "qos=1");
	assert_int_equal(sriov_vf_set(nl, IFINDEX, 0, &s, &res, err, sizeof(err)), -EIO);
	assert_true(res.mismatch);
	assert_int_equal(res.failed, SRIOV_ATTR_VLAN);
	/* Both written attributes are put back, in reverse order. */
	assert_int_equal(fake.nlog, 4);
	assert_int_equal(fake.log[2].type, IFLA_VF_SPOOFCHK);
	assert_int_equal(fake.log[3].type, IFLA_VF_VLAN);
	assert_int_equal(fake.vf[0].spoofchk, 1);
	assert_int_equal(fake.vf[0].vlan, 0);
	assert_string_equal(err, "the driver accepted vlan=7 qos=1 but reports vlan=0 qos=0; "
				 "restored vlan=0 qos=0, spoofchk=on");
	sriov_nl_close(nl);
}

static void test_rates_always_sent_together(void **state)
{
	struct sriov_nl *nl = open_nl();
	struct sriov_settings s = { 0 };
	struct sriov_apply_result res;
	char err[512];

	fake_reset();
	fake.vf[2].min_rate = 10;
	fake.vf[2].max_rate = 100;
	parse(&s, "max-rate=200");
	assert_int_equal(sriov_vf_set(nl, IFINDEX, 2, &s, &res, err, sizeof(err)), 0);
	assert_int_equal(fake.nlog, 1);
	assert_int_equal(fake.log[0].type, IFLA_VF_RATE);
	/* libnl would send 0 for a limit left unset: the current min goes along. */
	assert_int_equal(fake.log[0].v.min_rate, 10);
	assert_int_equal(fake.log[0].v.max_rate, 200);
	assert_int_equal(fake.vf[2].min_rate, 10);
	assert_int_equal(fake.vf[2].max_rate, 200);
	sriov_nl_close(nl);
}

static void test_vlan_proto_8021ad_on_the_wire(void **state)
{
	struct sriov_nl *nl = open_nl();
	struct sriov_settings s = { 0 };
	struct sriov_apply_result res;
	char err[512];

	fake_reset();
	parse(&s, "vlan=300");
	parse(&s, "vlan-proto=802.1ad");
	assert_int_equal(sriov_vf_set(nl, IFINDEX, 0, &s, &res, err, sizeof(err)), 0);
	assert_int_equal(fake.nlog, 1);
	assert_int_equal(fake.log[0].type, IFLA_VF_VLAN_LIST);
	/* The kernel reads a __be16; the fake decodes it with ntohs(). */
	assert_int_equal(fake.vf[0].vlan_proto, ETH_P_8021AD);
	assert_int_equal(fake.vf[0].vlan, 300);
	assert_int_equal(res.after.vlan_proto, ETH_P_8021AD);
	sriov_nl_close(nl);
}

static void test_contradiction_changes_nothing(void **state)
{
	struct sriov_nl *nl = open_nl();
	struct sriov_settings s = { 0 };
	struct sriov_apply_result res;
	char err[512];

	fake_reset();
	fake.vf[1].max_rate = 100;
	parse(&s, "mac=02:11:22:33:44:55");
	parse(&s, "min-rate=500");
	assert_int_equal(sriov_vf_set(nl, IFINDEX, 1, &s, &res, err, sizeof(err)), -EINVAL);
	assert_true(res.bad_input);
	assert_int_equal(fake.nlog, 0);
	assert_string_equal(err, "min-rate: 500 is above max-rate 100 (Mbit/s)");
	sriov_nl_close(nl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_back_as_reported),
		cmocka_unit_test(test_pf_without_vf_attributes),
		cmocka_unit_test(test_set_writes_only_what_differs),
		cmocka_unit_test(test_rollback_when_second_attribute_fails),
		cmocka_unit_test(test_rollback_when_value_does_not_stick),
		cmocka_unit_test(test_rates_always_sent_together),
		cmocka_unit_test(test_vlan_proto_8021ad_on_the_wire),
		cmocka_unit_test(test_contradiction_changes_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
