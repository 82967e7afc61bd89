// SPDX-License-Identifier: GPL-2.0-only
/*
 * partvm sriov list|create|destroy|set|acquire|release: the dispatcher,
 * the helpers the subcommands share, and create/destroy.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/cli/cli.h"
#include "core/cli/sriov_cli.h"
#include "core/util/log.h"
#include "core/util/sysfs.h"

static const struct cli_command subcommands[] = {
	{ "list", "PFs, their VFs and each VF's attributes", cli_sriov_list },
	{ "create", "create N VFs on a PF", cli_sriov_numvfs },
	{ "destroy", "remove all VFs of a PF", cli_sriov_numvfs },
	{ "set", "show or change a VF's attributes", cli_sriov_set },
	{ "acquire", "take VFs from pools for a partition config", cli_sriov_acquire },
	{ "release", "give a partition's pool VFs back", cli_sriov_release },
};

static void print_help(FILE *f)
{
	fprintf(f,
		"Usage: partvm sriov COMMAND ...\n\n"
		"  list [--json]                      PFs, VFs and their attributes\n"
		"  create PF N [--no-autoprobe]       make PF have N VFs (PF: eth0 or 0000:00:02.0)\n"
		"  destroy PF                         remove all VFs of PF\n"
		"  set PF VF [KEY=VALUE...]           show, or change, VF number VF of PF\n"
		"  acquire CONFIG                     take the VFs of CONFIG's [sriov] pools\n"
		"  release CONFIG | --partition NAME | --all\n"
		"                                     neutralise pool VFs and give them back\n\n"
		"Keys: mac, vlan (0-4094), qos (0-7), vlan-proto (802.1Q, 802.1ad), spoofchk,\n"
		"trust, query-rss (on/off), link-state (auto, enable, disable),\n"
		"min-rate, max-rate (Mbit/s, 0 = none).\n");
}

int cli_sriov(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error("sriov", "missing command");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		print_help(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].main(argc - 1, argv + 1);
	return cli_usage_error("sriov", "unknown command '%s'", argv[1]);
}

const char *sriov_cli_pf_name(const struct sriov_pf *pf)
{
	return pf->ifname[0] ? pf->ifname : pf->bdf;
}

int sriov_cli_find_pf(const char *cmd, const char *name, struct sriov_pf *pf)
{
	int r = sriov_pf_find(partvm_sysfs_root(), name, pf);

	if (r == -ENODEV) {
		log_error("sriov %s: %s: no such network interface or PCI device", cmd, name);
		return EXIT_USAGE;
	}
	if (r == -EOPNOTSUPP) {
		log_error("sriov %s: %s%s%s%s is not an SR-IOV PF", cmd, name,
			  pf->bdf[0] && strcmp(pf->bdf, name) ? " (" : "",
			  pf->bdf[0] && strcmp(pf->bdf, name) ? pf->bdf : "",
			  pf->bdf[0] && strcmp(pf->bdf, name) ? ")" : "");
		return EXIT_USAGE;
	}
	if (r < 0) {
		log_error_errno(r, "sriov %s: %s: cannot read the PF: %m", cmd, name);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int sriov_cli_parse_uint(const char *s, unsigned *out)
{
	unsigned long v;
	char *end;

	if (s[0] == '-' && s[1] >= '0' && s[1] <= '9')
		return -ERANGE;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* The first VF of PF that a partition or vfio-pci holds: EXIT_FAIL after
 * naming it, EXIT_OK when none is held. */
static int check_unheld(const char *cmd, const struct sriov_pf *pf)
{
	const char *root = partvm_sysfs_root();

	for (unsigned i = 0; i < pf->numvfs; i++) {
		struct sriov_vf vf;
		char who[256];
		int r;

		r = sriov_vf_get(root, pf, i, &vf);
		if (r == -ENOENT)
			continue;
		if (r < 0) {
			log_error_errno(r, "sriov %s: %s VF %u: cannot read it: %m", cmd,
					sriov_cli_pf_name(pf), i);
			return EXIT_FAIL;
		}
		r = sriov_vf_holder(root, partvm_runtime_dir(), &vf, who, sizeof(who));
		if (r > 0) {
			log_error("sriov %s: %s VF %u (%s) is held by %s; release it first, nothing "
				  "was changed",
				  cmd, sriov_cli_pf_name(pf), i, vf.bdf, who);
			return EXIT_FAIL;
		}
		if (r < 0) {
			log_error_errno(r, "sriov %s: %s VF %u: cannot tell who holds it: %m", cmd,
					sriov_cli_pf_name(pf), i);
			return EXIT_FAIL;
		}
	}
	return EXIT_OK;
}

static void numvfs_help(FILE *f)
{
	fprintf(f, "Usage: partvm sriov create PF N [--no-autoprobe] [--timeout SECONDS]\n"
		   "       partvm sriov destroy PF\n\n"
		   "PF is a network interface (eth0) or a PCI address (0000:00:02.0).\n"
		   "A change from one non-zero count to another passes through 0; it is\n"
		   "refused while a VF is held by a partition or bound to vfio-pci.\n"
		   "  --no-autoprobe    leave new VFs without a driver (for vfio-pci)\n"
		   "  --timeout S       wait up to S seconds for the VFs (default 30)\n");
}

/* create PF N / destroy PF. Options are parsed by hand so that "-1" is a
 * (negative, refused) count rather than an unknown option. */
int cli_sriov_numvfs(int argc, char **argv)
{
	const char *cmd = argv[0], *pos[3] = { 0 };
	bool create = !strcmp(cmd, "create");
	int npos = 0, autoprobe = -1, timeout_s = 30, r;
	_cleanup_close_ int lock = -1;
	struct sriov_pf pf;
	unsigned n = 0, old;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			numvfs_help(stdout);
			return EXIT_OK;
		} else if (create && !strcmp(a, "--no-autoprobe")) {
			autoprobe = 0;
		} else if (create && !strcmp(a, "--autoprobe")) {
			autoprobe = 1;
		} else if (create && (!strcmp(a, "--timeout") || !strncmp(a, "--timeout=", 10))) {
			unsigned t;
			const char *v = a[9] == '=' ? a + 10 : (i + 1 < argc ? argv[++i] : "");

			if (sriov_cli_parse_uint(v, &t) < 0 || t > 3600)
				return cli_usage_error(cmd, "--timeout: '%s' is not 0-3600 seconds",
						       v);
			timeout_s = (int)t;
		} else if (a[0] == '-' && a[1] == '-') {
			return cli_usage_error("sriov", "%s: unknown option '%s'", cmd, a);
		} else if (npos < (int)ARRAY_SIZE(pos)) {
			pos[npos++] = a;
		} else {
			return cli_usage_error("sriov", "%s: too many arguments", cmd);
		}
	}
	if (npos != (create ? 2 : 1))
		return cli_usage_error("sriov", create ? "create: needs PF and N" : "destroy: needs PF");

	r = sriov_cli_find_pf(cmd, pos[0], &pf);
	if (r != EXIT_OK)
		return r;
	if (create) {
		r = sriov_cli_parse_uint(pos[1], &n);
		if (r == -ERANGE) {
			log_error("sriov create: %s: N must not be negative (got %s)", pos[0], pos[1]);
			return EXIT_USAGE;
		}
		if (r < 0) {
			log_error("sriov create: %s: N '%s' is not a number", pos[0], pos[1]);
			return EXIT_USAGE;
		}
		if (n > pf.totalvfs) {
			log_error("sriov create: %s: %u VFs requested, but the PF supports at most %u",
				  pos[0], n, pf.totalvfs);
			return EXIT_USAGE;
		}
	}

	/* The pool lock keeps a partition from claiming a VF while it is
	 * being destroyed. */
	lock = sriov_pool_lock(partvm_runtime_dir());
	if (lock < 0)
		return log_error_errno(lock, "sriov %s: cannot lock %s/sriov: %m", cmd,
				       partvm_runtime_dir()),
		       EXIT_FAIL;
	r = sriov_pf_refresh(partvm_sysfs_root(), &pf);
	if (r < 0)
		return log_error_errno(r, "sriov %s: %s: %m", cmd, pos[0]), EXIT_FAIL;
	old = pf.numvfs;
	if (old == n && (autoprobe < 0 || (autoprobe != 0) == pf.autoprobe)) {
		printf("%s: %u VFs, unchanged\n", sriov_cli_pf_name(&pf), n);
		return EXIT_OK;
	}
	if (old) {
		r = check_unheld(cmd, &pf);
		if (r != EXIT_OK)
			return r;
	}

	r = sriov_pf_set_numvfs(partvm_sysfs_root(), &pf, n, autoprobe, timeout_s * 1000);
	if (r == -ETIMEDOUT) {
		log_warning("sriov %s: %s: %u VFs exist, but not all were probed with a network "
			    "interface within %d s",
			    cmd, sriov_cli_pf_name(&pf), pf.numvfs, timeout_s);
	} else if (r < 0) {
		log_error_errno(r, "sriov %s: %s: cannot change sriov_numvfs from %u to %u: %m; "
				   "it is %u now",
				cmd, sriov_cli_pf_name(&pf), old, n, pf.numvfs);
		return EXIT_FAIL;
	}
	printf("%s: %u VFs (was %u)\n", sriov_cli_pf_name(&pf), pf.numvfs, old);
	return EXIT_OK;
}
