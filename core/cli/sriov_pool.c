// SPDX-License-Identifier: GPL-2.0-only
/*
 * partvm sriov acquire CONFIG / release: the pool half of a partition's
 * start and stop, on its own so it can be used and tested before (and
 * besides) `partvm run`, which calls the same library functions.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/board.h"
#include "core/cli/cli.h"
#include "core/cli/sriov_cli.h"
#include "core/vm/config.h"
#include "core/util/log.h"
#include "iommu/iommu.h"
#include "vfio/vfio.h"

/* A partition config, read exactly as `partvm run` reads it. */
static int load_config(struct vm_config *cfg, const char *path, const char *cmd)
{
	struct config_error e = { { 0 } };
	int r;

	r = config_load(cfg, path, &e);
	if (r == 0)
		r = config_set_default_name(cfg);
	if (r == -ENOMEM)
		log_error("sriov %s: out of memory", cmd);
	else if (r < 0)
		log_error("sriov %s: %s", cmd, e.msg);
	return r;
}

int cli_sriov_acquire(int argc, char **argv)
{
	_cleanup_(config_free) struct vm_config cfg;
	_cleanup_free_ struct sriov_alloc *allocs = NULL;
	const struct sriov_pool_requests *reqs;
	const char *partition;
	char err[1024];
	struct iommu_host h;
	int r;

	config_init(&cfg, board_device_types);

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage: partvm sriov acquire CONFIG\n\n"
		       "For each [sriov \"NAME\"] section of the partition config CONFIG, take a\n"
		       "free VF of its pf, apply the section's settings (neutral values for the\n"
		       "keys it leaves out) and bind the VF to vfio-pci for the partition. All\n"
		       "or nothing. 'partvm sriov release CONFIG' gives them back.\n");
		return EXIT_OK;
	}
	if (argc != 2)
		return cli_usage_error("sriov", "acquire: needs exactly one CONFIG");
	r = load_config(&cfg, argv[1], "acquire");
	if (r < 0)
		return r == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
	partition = cfg.name;
	reqs = &vfio_conf(&cfg)->pools;
	if (!reqs->n) {
		log_error("sriov acquire: %s: no [sriov \"NAME\"] section", argv[1]);
		return EXIT_USAGE;
	}
	allocs = calloc(reqs->n, sizeof(*allocs));
	if (!allocs)
		return log_error_errno(-ENOMEM, "sriov acquire: %m"), EXIT_FAIL;
	r = iommu_host_init(&h);
	if (r < 0)
		return log_error_errno(r, "sriov acquire: %m"), EXIT_FAIL;

	/* No process holds the VFs after this command exits: pid 0, the
	 * partition name alone owns them until 'sriov release'. */
	r = sriov_pool_acquire(&h, partition, 0, reqs->v, reqs->n, allocs, err, sizeof(err));
	if (r < 0) {
		log_error("sriov acquire: %s: %s; nothing is held", partition, err);
		return r == -EINVAL || r == -ENODEV || r == -EOPNOTSUPP ? EXIT_USAGE : EXIT_FAIL;
	}
	for (size_t i = 0; i < reqs->n; i++)
		printf("%s: [sriov%s%s%s] %s VF %u (%s) on vfio-pci\n", partition,
		       reqs->v[i].name[0] ? " \"" : "", reqs->v[i].name, reqs->v[i].name[0] ? "\"" : "",
		       reqs->v[i].pf, allocs[i].vf, allocs[i].vf_bdf);
	return EXIT_OK;
}

int cli_sriov_release(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "partition", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	_cleanup_(config_free) struct vm_config cfg;
	char err[1024];
	const char *name = NULL;
	bool all = false, force = false;
	unsigned ok = 0, bad = 0;
	struct iommu_host h;
	int c, r;

	config_init(&cfg, board_device_types);

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:afh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			name = optarg;
			break;
		case 'a':
			all = true;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			printf("Usage: partvm sriov release CONFIG | --partition NAME | --all [--force]\n\n"
			       "Reset the partition's pool VFs to neutral settings (MAC\n"
			       "00:00:00:00:00:00, VLAN 0, trust off, spoofchk on, no rate limits),\n"
			       "give them back to their driver and to the pool. VFs of a partition\n"
			       "whose process still runs are skipped unless --force.\n");
			return EXIT_OK;
		default:
			return cli_usage_error("sriov", "release: bad option");
		}
	}
	if ((optind < argc) + !!name + all != 1 || argc - optind > 1)
		return cli_usage_error("sriov",
				       "release: needs exactly one of CONFIG, --partition NAME, --all");
	if (optind < argc) {
		r = load_config(&cfg, argv[optind], "release");
		if (r < 0)
			return r == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
		name = cfg.name;
	}
	r = iommu_host_init(&h);
	if (r < 0)
		return log_error_errno(r, "sriov release: %m"), EXIT_FAIL;
	r = sriov_pool_release(&h, all ? NULL : name, force, &ok, &bad, err, sizeof(err));
	if (r < 0) {
		log_error("sriov release: %s", err);
		log_error("sriov release: %u VF(s) released, %u failed and keep their record", ok,
			  bad);
		return EXIT_FAIL;
	}
	printf("sriov release: %u VF(s) neutralised and returned to the pool%s%s\n", ok,
	       all ? "" : " for partition ", all ? "" : name);
	return EXIT_OK;
}
