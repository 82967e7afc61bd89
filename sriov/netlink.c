// SPDX-License-Identifier: GPL-2.0-only
/*
 * VF attributes over rtnetlink with libnl-route-3: RTM_GETLINK with
 * RTEXT_FILTER_VF returns IFLA_VFINFO_LIST, which libnl parses into
 * rtnl_link_vf objects; a change is one IFLA_VF_INFO in RTM_NEWLINK
 * (rtnl_link_change()).
 *
 * libnl-3 and libnl-route-3 are loaded by sriov_nl_open(), not linked: a
 * partition without SR-IOV never needs them, and loading them at every
 * start cost about 0.2 ms and 0.5 MiB of partvm's resident set (measured
 * on this project's machines). Their symbols are looked up in the process's
 * global scope once the libraries are in it, so a program that defines one
 * itself (a unit test's fake) is the one called.
 */
#include "sriov/sriov.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/sriov.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/util/dynlib.h"

/* The libnl calls this file makes. */
#define NL_CALLS(X) \
	X(nl_socket_alloc) X(nl_socket_free) X(nl_connect) X(nl_socket_modify_err_cb) \
	X(nl_addr_build) X(nl_addr_put) X(nl_addr_get_len) X(nl_addr_get_binary_addr) \
	X(rtnl_link_alloc) X(rtnl_link_put) X(rtnl_link_get_kernel) X(rtnl_link_change) \
	X(rtnl_link_set_ifindex) X(rtnl_link_get_num_vf) X(rtnl_link_has_vf_list) \
	X(rtnl_link_vf_alloc) X(rtnl_link_vf_put) X(rtnl_link_vf_get) X(rtnl_link_vf_add) \
	X(rtnl_link_vf_set_index) X(rtnl_link_vf_get_addr) X(rtnl_link_vf_set_addr) \
	X(rtnl_link_vf_vlan_alloc) X(rtnl_link_vf_vlan_put) X(rtnl_link_vf_get_vlans) \
	X(rtnl_link_vf_set_vlans) X(rtnl_link_vf_get_rate) X(rtnl_link_vf_set_rate) \
	X(rtnl_link_vf_get_spoofchk) X(rtnl_link_vf_set_spoofchk) X(rtnl_link_vf_get_trust) \
	X(rtnl_link_vf_set_trust) X(rtnl_link_vf_get_rss_query_en) \
	X(rtnl_link_vf_set_rss_query_en) X(rtnl_link_vf_get_linkstate) X(rtnl_link_vf_set_linkstate)

struct nl_api {
	void *lib, *route;
	NL_CALLS(DYNLIB_FIELD)
};

struct sriov_nl {
	struct nl_api api;
	struct nl_sock *sk;
	/* The errno of the kernel's last NLMSG_ERROR: libnl folds errnos
	 * into its own codes (EPROTONOSUPPORT becomes "protocol mismatch"),
	 * and the user should see what the driver said. */
	int kernel_err;
};

/* libnl-route-3 needs libnl-3; both go into the global scope, where
 * the names are then found (the program's own first). */
static int api_load(struct nl_api *api)
{
	int r = dynlib_open("libnl-3.so.200", &api->lib);

	if (r >= 0)
		r = dynlib_open("libnl-route-3.so.200", &api->route);
	if (r < 0)
		return r;
	NL_CALLS(DYNLIB_LOOKUP)
	return 0;
}

static void api_unload(struct nl_api *a)
{
	if (a->route)
		dlclose(a->route);
	if (a->lib)
		dlclose(a->lib);
	memset(a, 0, sizeof(*a));
}

static int on_kernel_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct sriov_nl *nl = arg;

	nl->kernel_err = e->error;
	return NL_STOP;
}

/* libnl's code back to an errno, for errors that did not come from the
 * kernel (allocation, socket, parsing). */
static int nlerr_to_errno(int nlerr)
{
	switch (abs(nlerr)) {
	case NLE_SUCCESS:
		return 0;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_INVAL:
	case NLE_MISSING_ATTR:
		return -EINVAL;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_PERM:
	case NLE_NOACCESS:
		return -EPERM;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_PROTO_MISMATCH:
		return -EPROTONOSUPPORT;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_INTR:
		return -EINTR;
	default:
		return -EIO;
	}
}

static int result(struct sriov_nl *nl, int nlerr)
{
	if (nlerr >= 0)
		return 0;
	if (nl->kernel_err < 0)
		return nl->kernel_err;
	return nlerr_to_errno(nlerr);
}

int sriov_nl_open(struct sriov_nl **ret)
{
	struct sriov_nl *nl = calloc(1, sizeof(*nl));
	const struct nl_api *L;
	int r;

	if (!nl)
		return -ENOMEM;
	L = &nl->api;
	r = api_load(&nl->api);
	if (r < 0)
		goto fail;
	r = -ENOMEM;
	nl->sk = L->nl_socket_alloc();
	if (!nl->sk)
		goto fail;
	r = L->nl_connect(nl->sk, NETLINK_ROUTE);
	if (r < 0) {
		r = nlerr_to_errno(r);
		goto fail;
	}
	L->nl_socket_modify_err_cb(nl->sk, NL_CB_CUSTOM, on_kernel_error, nl);
	*ret = nl;
	return 0;
fail:
	sriov_nl_close(nl);
	return r;
}

void sriov_nl_close(struct sriov_nl *nl)
{
	if (!nl)
		return;
	if (nl->sk)
		nl->api.nl_socket_free(nl->sk);
	api_unload(&nl->api);
	free(nl);
}

static void vf_to_config(const struct nl_api *L, struct rtnl_link_vf *v, struct sriov_vf_config *c)
{
	nl_vf_vlans_t *vlans = NULL;
	struct nl_addr *addr;
	struct nl_vf_rate rate;
	uint32_t u;

	memset(c, 0, sizeof(*c));
	c->vlan_proto = ETH_P_8021Q;
	c->link_state = IFLA_VF_LINK_STATE_AUTO;
	c->spoofchk = c->trust = c->query_rss = -1;

	if (L->rtnl_link_vf_get_addr(v, &addr) == 0 && L->nl_addr_get_len(addr) >= ETH_ALEN)
		memcpy(c->mac, L->nl_addr_get_binary_addr(addr), ETH_ALEN);
	if (L->rtnl_link_vf_get_vlans(v, &vlans) == 0 && vlans->size > 0) {
		c->vlan = (uint16_t)vlans->vlans[0].vf_vlan;
		c->qos = (uint8_t)vlans->vlans[0].vf_vlan_qos;
		if (vlans->vlans[0].vf_vlan_proto)
			c->vlan_proto = vlans->vlans[0].vf_vlan_proto;
	}
	if (vlans)
		L->rtnl_link_vf_vlan_put(vlans);
	if (L->rtnl_link_vf_get_rate(v, &rate) == 0) {
		if (rate.api == RTNL_LINK_VF_RATE_API_NEW) {
			c->min_rate = rate.min_tx_rate;
			c->max_rate = rate.max_tx_rate;
		} else if (rate.api == RTNL_LINK_VF_RATE_API_OLD) {
			c->max_rate = rate.rate;
		}
	}
	/* libnl leaves out the booleans the kernel reports as -1. */
	if (L->rtnl_link_vf_get_spoofchk(v, &u) == 0)
		c->spoofchk = !!u;
	if (L->rtnl_link_vf_get_trust(v, &u) == 0)
		c->trust = !!u;
	if (L->rtnl_link_vf_get_rss_query_en(v, &u) == 0)
		c->query_rss = !!u;
	if (L->rtnl_link_vf_get_linkstate(v, &u) == 0)
		c->link_state = u;
}

static int get_link(struct sriov_nl *nl, int ifindex, struct rtnl_link **link)
{
	int r;

	nl->kernel_err = 0;
	r = result(nl, nl->api.rtnl_link_get_kernel(nl->sk, ifindex, NULL, link));
	if (r < 0)
		return r;
	return *link ? 0 : -ENODEV;
}

int sriov_nl_read_vfs(struct sriov_nl *nl, int ifindex, struct sriov_vf_config *cfgs,
		      bool *present, unsigned n)
{
	const struct nl_api *L = &nl->api;
	struct rtnl_link *link = NULL;
	uint32_t num = 0;
	int found = 0, r;

	memset(present, 0, n * sizeof(*present));
	r = get_link(nl, ifindex, &link);
	if (r < 0)
		return r;
	/* A PF driver without ndo_get_vf_config reports a VF count but no
	 * IFLA_VFINFO_LIST, and libnl's lookup needs the list. */
	if (L->rtnl_link_get_num_vf(link, &num) < 0 || !L->rtnl_link_has_vf_list(link))
		num = 0;
	for (uint32_t i = 0; i < num && i < n; i++) {
		struct rtnl_link_vf *v = L->rtnl_link_vf_get(link, i);

		if (!v)
			continue;
		vf_to_config(L, v, &cfgs[i]);
		L->rtnl_link_vf_put(v);
		present[i] = true;
		found++;
	}
	L->rtnl_link_put(link);
	return found;
}

int sriov_nl_read_vf(struct sriov_nl *nl, int ifindex, unsigned vf, struct sriov_vf_config *cfg)
{
	const struct nl_api *L = &nl->api;
	struct rtnl_link *link = NULL;
	struct rtnl_link_vf *v = NULL;
	uint32_t num = 0;
	int r;

	r = get_link(nl, ifindex, &link);
	if (r < 0)
		return r;
	r = -ENOENT;
	if (L->rtnl_link_get_num_vf(link, &num) == 0 && vf < num && L->rtnl_link_has_vf_list(link) &&
	    (v = L->rtnl_link_vf_get(link, vf))) {
		vf_to_config(L, v, cfg);
		L->rtnl_link_vf_put(v);
		r = 0;
	}
	L->rtnl_link_put(link);
	return r;
}

static int fill_vf(const struct nl_api *L, struct rtnl_link_vf *v, enum sriov_attr a,
		   const struct sriov_vf_config *c)
{
	struct nl_addr *addr;
	nl_vf_vlans_t *vlans = NULL;
	struct nl_vf_rate rate = { 0 };
	int r;

	switch (a) {
	case SRIOV_ATTR_MAC:
		addr = L->nl_addr_build(AF_LLC, c->mac, ETH_ALEN);
		if (!addr)
			return -ENOMEM;
		L->rtnl_link_vf_set_addr(v, addr);
		L->nl_addr_put(addr);
		return 0;
	case SRIOV_ATTR_VLAN:
		r = L->rtnl_link_vf_vlan_alloc(&vlans, 1);
		if (r < 0)
			return nlerr_to_errno(r);
		vlans->vlans[0].vf_vlan = c->vlan;
		vlans->vlans[0].vf_vlan_qos = c->qos;
		/*
		 * libnl (3.7 up to at least 3.12) sends 802.1Q as the legacy
		 * IFLA_VF_VLAN, and any other protocol in IFLA_VF_VLAN_LIST
		 * copying vf_vlan_proto without converting it to the __be16
		 * that struct ifla_vf_vlan_info holds. Hand it the protocol
		 * already in network order so the kernel sees 0x88a8.
		 */
		vlans->vlans[0].vf_vlan_proto =
			c->vlan_proto == ETH_P_8021Q ? ETH_P_8021Q : htons(c->vlan_proto);
		L->rtnl_link_vf_set_vlans(v, vlans);
		L->rtnl_link_vf_vlan_put(vlans);
		return 0;
	case SRIOV_ATTR_SPOOFCHK:
		L->rtnl_link_vf_set_spoofchk(v, c->spoofchk > 0);
		return 0;
	case SRIOV_ATTR_TRUST:
		L->rtnl_link_vf_set_trust(v, c->trust > 0);
		return 0;
	case SRIOV_ATTR_LINK_STATE:
		L->rtnl_link_vf_set_linkstate(v, c->link_state);
		return 0;
	case SRIOV_ATTR_RATE:
		/* IFLA_VF_RATE carries both limits and libnl sends 0 for one
		 * that is not set, so both always come from the config. */
		rate.api = RTNL_LINK_VF_RATE_API_NEW;
		rate.min_tx_rate = c->min_rate;
		rate.max_tx_rate = c->max_rate;
		L->rtnl_link_vf_set_rate(v, &rate);
		return 0;
	case SRIOV_ATTR_QUERY_RSS:
		L->rtnl_link_vf_set_rss_query_en(v, c->query_rss > 0);
		return 0;
	default:
		return -EINVAL;
	}
}

int sriov_nl_write(struct sriov_nl *nl, int ifindex, unsigned vf, enum sriov_attr a,
		   const struct sriov_vf_config *cfg)
{
	const struct nl_api *L = &nl->api;
	struct rtnl_link *orig = L->rtnl_link_alloc();
	struct rtnl_link *changes = L->rtnl_link_alloc();
	struct rtnl_link_vf *v = L->rtnl_link_vf_alloc();
	int r = -ENOMEM;

	if (!orig || !changes || !v)
		goto out;
	L->rtnl_link_set_ifindex(orig, ifindex);
	L->rtnl_link_vf_set_index(v, vf);
	r = fill_vf(L, v, a, cfg);
	if (r < 0)
		goto out;
	r = L->rtnl_link_vf_add(changes, v);
	if (r < 0) {
		r = nlerr_to_errno(r);
		goto out;
	}
	nl->kernel_err = 0;
	r = result(nl, L->rtnl_link_change(nl->sk, orig, changes, 0));
out:
	if (v)
		L->rtnl_link_vf_put(v);
	if (changes)
		L->rtnl_link_put(changes);
	if (orig)
		L->rtnl_link_put(orig);
	return r;
}
