// SPDX-License-Identifier: GPL-2.0-only
/*
 * partvm sriov list [--json]: every SR-IOV PF (netdev name, BDF, driver,
 * totalvfs, numvfs) and each VF's BDF, driver, attributes (read over
 * rtnetlink from the PF) and the partition holding it.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/cleanup.h"
#include "core/util/json.h"
#include "core/cli/cli.h"
#include "core/cli/sriov_cli.h"
#include "core/util/log.h"
#include "core/util/sysfs.h"


struct vf_row {
	struct sriov_vf vf;
	bool have_cfg;
	struct sriov_vf_config cfg;
	char partition[SRIOV_NAME_MAX]; /* "" when no pool holds it */
};

/* The VFs of PF with their attributes; *ROWS malloc'ed, returns count. */
static int collect(struct sriov_nl *nl, const struct sriov_pf *pf, struct vf_row **rows)
{
	_cleanup_free_ struct sriov_vf_config *cfgs = NULL;
	_cleanup_free_ struct vf_row *v = NULL;
	_cleanup_free_ bool *seen = NULL;
	int r;

	*rows = NULL;
	if (!pf->numvfs)
		return 0;
	v = calloc(pf->numvfs, sizeof(*v));
	cfgs = calloc(pf->numvfs, sizeof(*cfgs));
	seen = calloc(pf->numvfs, sizeof(*seen));
	if (!v || !cfgs || !seen)
		return -ENOMEM;

	/* A VF the PF does not report (or a PF without netdev) shows no
	 * attributes rather than made-up ones. */
	if (nl && pf->ifindex) {
		r = sriov_nl_read_vfs(nl, pf->ifindex, cfgs, seen, pf->numvfs);
		if (r < 0)
			log_debug("sriov list: %s: VF attributes not readable: %s", pf->ifname,
				  strerror(-r));
	}
	for (unsigned i = 0; i < pf->numvfs; i++) {
		struct sriov_alloc a;

		r = sriov_vf_get(partvm_sysfs_root(), pf, i, &v[i].vf);
		if (r < 0 && r != -ENOENT)
			return r;
		v[i].have_cfg = seen[i];
		v[i].cfg = cfgs[i];
		if (sriov_alloc_load(partvm_runtime_dir(), v[i].vf.bdf, &a) == 0)
			snprintf(v[i].partition, sizeof(v[i].partition), "%s", a.partition);
	}
	*rows = TAKE_PTR(v);
	return (int)pf->numvfs;
}

static json_object *json_str_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

static json_object *json_bool_or_null(int8_t b)
{
	return b < 0 ? NULL : json_object_new_boolean(b);
}

static json_object *vf_json(const struct vf_row *row)
{
	json_object *o = json_object_new_object();
	const struct sriov_vf_config *c = &row->cfg;
	char mac[SRIOV_MAC_STRLEN];

	json_object_object_add(o, "vf", json_object_new_int((int)row->vf.index));
	json_object_object_add(o, "bdf", json_str_or_null(row->vf.bdf));
	json_object_object_add(o, "driver", json_str_or_null(row->vf.driver));
	json_object_object_add(o, "ifname", json_str_or_null(row->vf.ifname));
	if (row->have_cfg) {
		json_object_object_add(o, "mac", json_object_new_string(sriov_format_mac(c->mac, mac)));
		json_object_object_add(o, "vlan", json_object_new_int(c->vlan));
		json_object_object_add(o, "qos", json_object_new_int(c->qos));
		json_object_object_add(o, "vlan_proto",
				       json_object_new_string(sriov_vlan_proto_name(c->vlan_proto)));
		json_object_object_add(o, "spoofchk", json_bool_or_null(c->spoofchk));
		json_object_object_add(o, "trust", json_bool_or_null(c->trust));
		json_object_object_add(o, "link_state",
				       json_object_new_string(sriov_link_state_name(c->link_state)));
		json_object_object_add(o, "min_rate", json_object_new_int64(c->min_rate));
		json_object_object_add(o, "max_rate", json_object_new_int64(c->max_rate));
		json_object_object_add(o, "query_rss", json_bool_or_null(c->query_rss));
	}
	json_object_object_add(o, "partition", json_str_or_null(row->partition));
	return o;
}

static json_object *pf_json(const struct sriov_pf *pf, const struct vf_row *rows, int n)
{
	json_object *o = json_object_new_object(), *vfs = json_object_new_array();

	json_object_object_add(o, "ifname", json_str_or_null(pf->ifname));
	json_object_object_add(o, "bdf", json_object_new_string(pf->bdf));
	json_object_object_add(o, "driver", json_str_or_null(pf->driver));
	json_object_object_add(o, "totalvfs", json_object_new_int((int)pf->totalvfs));
	json_object_object_add(o, "numvfs", json_object_new_int((int)pf->numvfs));
	json_object_object_add(o, "autoprobe", json_object_new_boolean(pf->autoprobe));
	for (int i = 0; i < n; i++)
		json_object_array_add(vfs, vf_json(&rows[i]));
	json_object_object_add(o, "vfs", vfs);
	return o;
}

static const char *dash(const char *s)
{
	return s && *s ? s : "-";
}

static void pf_text(const struct sriov_pf *pf, const struct vf_row *rows, int n)
{
	printf("%s%s%s  driver %s  numvfs %u/%u  autoprobe %s\n", pf->ifname[0] ? pf->ifname : "",
	       pf->ifname[0] ? " " : "", pf->bdf, dash(pf->driver), pf->numvfs, pf->totalvfs,
	       pf->autoprobe ? "on" : "off");
	if (!n)
		return;
	printf("  %-3s %-12s %-8s %-6s %-17s %-4s %-3s %-7s %-5s %-5s %-7s %-5s %-5s %-4s %s\n",
	       "VF", "BDF", "DRIVER", "IF", "MAC", "VLAN", "QOS", "PROTO", "SPOOF", "TRUST", "LINK",
	       "MIN", "MAX", "RSS", "PARTITION");
	for (int i = 0; i < n; i++) {
		const struct vf_row *r = &rows[i];
		char v[_SRIOV_KEY_MAX][SRIOV_MAC_STRLEN];

		for (int k = 0; k < _SRIOV_KEY_MAX; k++)
			if (!r->have_cfg || sriov_format_key(&r->cfg, (enum sriov_key)k, v[k],
							     sizeof(v[k])) < 0)
				strcpy(v[k], "-");
		if (r->have_cfg && r->cfg.query_rss < 0)
			strcpy(v[SRIOV_KEY_QUERY_RSS], "-");
		printf("  %-3u %-12s %-8s %-6s %-17s %-4s %-3s %-7s %-5s %-5s %-7s %-5s %-5s %-4s %s\n",
		       r->vf.index, dash(r->vf.bdf), dash(r->vf.driver), dash(r->vf.ifname),
		       v[SRIOV_KEY_MAC], v[SRIOV_KEY_VLAN], v[SRIOV_KEY_QOS], v[SRIOV_KEY_VLAN_PROTO],
		       v[SRIOV_KEY_SPOOFCHK], v[SRIOV_KEY_TRUST], v[SRIOV_KEY_LINK_STATE],
		       v[SRIOV_KEY_MIN_RATE], v[SRIOV_KEY_MAX_RATE], v[SRIOV_KEY_QUERY_RSS],
		       dash(r->partition));
	}
}

int cli_sriov_list(int argc, char **argv)
{
	_cleanup_(sriov_nl_closep) struct sriov_nl *nl = NULL;
	_cleanup_(json_object_putp) json_object *all = NULL;
	_cleanup_free_ struct sriov_pf *pfs = NULL;
	bool json = false;
	int c, n, r;

	c = cli_parse_json_flag(argc, argv, "sriov list",
				"Usage: partvm sriov list [--json]\n\n"
				"Every SR-IOV PF with its VFs: BDF, driver, interface, MAC, VLAN,\n"
				"QoS, VLAN protocol, spoofchk, trust, link state, min/max rate\n"
				"(Mbit/s), query-rss and the partition holding the VF.\n",
				&json);
	if (c >= 0)
		return c;
	if (optind != argc)
		return cli_usage_error("sriov", "list: takes no arguments");

	n = sriov_pf_list(partvm_sysfs_root(), &pfs);
	if (n < 0)
		return log_error_errno(n, "sriov list: cannot read %s/sys/bus/pci/devices: %m",
				       partvm_sysfs_root()),
		       EXIT_FAIL;
	r = sriov_nl_open(&nl);
	if (r < 0)
		log_warning_errno(r, "sriov list: no rtnetlink (%m); VF attributes are not shown");

	all = json_object_new_array();
	for (int i = 0; i < n; i++) {
		_cleanup_free_ struct vf_row *rows = NULL;
		int m = collect(nl, &pfs[i], &rows);

		if (m < 0)
			return log_error_errno(m, "sriov list: %s: %m", sriov_cli_pf_name(&pfs[i])),
			       EXIT_FAIL;
		if (json)
			json_object_array_add(all, pf_json(&pfs[i], rows, m));
		else
			pf_text(&pfs[i], rows, m);
	}
	if (json)
		printf("%s\n", json_object_to_json_string_ext(all, JSON_C_TO_STRING_PRETTY |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (!n)
		printf("no SR-IOV capable PF\n");
	return EXIT_OK;
}
