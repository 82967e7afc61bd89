// SPDX-License-Identifier: GPL-2.0-only
/*
 * partvm sriov set PF VF [KEY=VALUE...]: without keys, print the VF's
 * attributes as KEY=VALUE lines; with keys, change them as one transaction
 * (sriov_vf_set) and print what changed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/util/cleanup.h"
#include "core/cli/cli.h"
#include "core/cli/sriov_cli.h"
#include "core/util/log.h"
#include "core/util/sysfs.h"


static void set_help(FILE *f)
{
	fprintf(f,
		"Usage: partvm sriov set PF VF [KEY=VALUE...]\n\n"
		"Without KEY=VALUE, print VF's attributes. Otherwise change them: each\n"
		"attribute is written, everything is read back, and on any refusal or\n"
		"mismatch the previous values are restored.\n\n"
		"  mac=02:00:00:00:00:01    unicast MAC (00:00:00:00:00:00 clears it)\n"
		"  vlan=0-4094 qos=0-7 vlan-proto=802.1Q|802.1ad\n"
		"  spoofchk=on|off trust=on|off query-rss=on|off\n"
		"  link-state=auto|enable|disable\n"
		"  min-rate=MBITS max-rate=MBITS  (0 = none)\n");
}

static void print_config(const struct sriov_vf_config *c)
{
	for (int k = 0; k < _SRIOV_KEY_MAX; k++) {
		char v[SRIOV_MAC_STRLEN];

		if (sriov_format_key(c, (enum sriov_key)k, v, sizeof(v)) == 0)
			printf("%s=%s\n", sriov_key_name((enum sriov_key)k), v);
	}
}

static void print_changes(const char *pf, unsigned vf, const struct sriov_vf_config *before,
			  const struct sriov_vf_config *after)
{
	bool any = false;

	for (int k = 0; k < _SRIOV_KEY_MAX; k++) {
		char a[SRIOV_MAC_STRLEN], b[SRIOV_MAC_STRLEN];

		if (sriov_format_key(before, (enum sriov_key)k, a, sizeof(a)) < 0 ||
		    sriov_format_key(after, (enum sriov_key)k, b, sizeof(b)) < 0 || !strcmp(a, b))
			continue;
		printf("%s vf %u: %s %s -> %s\n", pf, vf, sriov_key_name((enum sriov_key)k), a, b);
		any = true;
	}
	if (!any)
		printf("%s vf %u: unchanged\n", pf, vf);
}

int cli_sriov_set(int argc, char **argv)
{
	_cleanup_(sriov_nl_closep) struct sriov_nl *nl = NULL;
	struct sriov_settings s = { 0 };
	struct sriov_apply_result res;
	struct sriov_pf pf;
	char err[512];
	unsigned vf;
	int r;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		set_help(stdout);
		return EXIT_OK;
	}
	if (argc < 3)
		return cli_usage_error("sriov", "set: needs PF and VF");

	r = sriov_cli_find_pf("set", argv[1], &pf);
	if (r != EXIT_OK)
		return r;
	if (!pf.ifindex) {
		log_error("sriov set: %s is no network device (driver %s): its VFs have no "
			  "attributes to set",
			  pf.bdf, pf.driver[0] ? pf.driver : "none");
		return EXIT_USAGE;
	}
	r = sriov_cli_parse_uint(argv[2], &vf);
	if (r < 0) {
		log_error("sriov set: %s: VF '%s' is not a VF number", argv[1], argv[2]);
		return EXIT_USAGE;
	}
	if (vf >= pf.numvfs) {
		log_error("sriov set: %s: VF %u does not exist (numvfs is %u)", argv[1], vf,
			  pf.numvfs);
		return EXIT_USAGE;
	}
	/* Parse every key before touching anything. */
	for (int i = 3; i < argc; i++) {
		r = sriov_parse_assignment(&s, argv[i], err, sizeof(err));
		if (r < 0) {
			log_error("sriov set: %s vf %u: %s", argv[1], vf, err);
			return EXIT_USAGE;
		}
	}

	r = sriov_nl_open(&nl);
	if (r < 0)
		return log_error_errno(r, "sriov set: cannot open rtnetlink: %m"), EXIT_FAIL;

	if (!s.keys) {
		struct sriov_vf_config c;

		r = sriov_nl_read_vf(nl, pf.ifindex, vf, &c);
		if (r < 0)
			return log_error_errno(r, "sriov set: %s vf %u: cannot read it: %m", argv[1],
					       vf),
			       EXIT_FAIL;
		print_config(&c);
		return EXIT_OK;
	}

	r = sriov_vf_set(nl, pf.ifindex, vf, &s, &res, err, sizeof(err));
	if (r < 0 && res.bad_input) {
		log_error("sriov set: %s vf %u: %s; nothing was changed", argv[1], vf, err);
		return EXIT_USAGE;
	}
	if (r < 0) {
		log_error("sriov set: %s vf %u: %s", argv[1], vf, err);
		return EXIT_FAIL;
	}
	print_changes(argv[1], vf, &res.before, &res.after);
	return EXIT_OK;
}
