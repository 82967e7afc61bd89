// SPDX-License-Identifier: GPL-2.0-only
/* partvm iommu groups [--json]: IOMMU groups, their devices and whether
 * VFIO could take each group now. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/cleanup.h"
#include "core/cli/cli.h"
#include "core/cli/iommu_print.h"
#include "core/util/log.h"
#include "iommu/iommu.h"
#include "iommu/iommu_json.h"

static const char help[] =
	"Usage: partvm iommu groups [--json]\n\n"
	"List the IOMMU groups with their devices and a viability verdict: a group\n"
	"is viable when every endpoint in it is on vfio-pci, on pci-stub or has no\n"
	"driver (bridges and root ports do not count).\n\n"
	"  --json    machine-readable output (see README, \"JSON output\")\n"
	"  -h, --help\n";

static void print_verdict(FILE *f, int group, const struct iommu_viability *v, const struct iommu_device *devs,
			  int n)
{
	fprintf(f, "group %d: %s", group, v->viable ? "viable" : "not viable");
	for (size_t i = 0; i < v->nblockers && i < IOMMU_BLOCKERS_MAX; i++) {
		char label[2 * IOMMU_NAME_LEN] = "";
		for (int k = 0; k < n; k++)
			if (!strcmp(devs[k].bdf, v->blockers[i].bdf))
				iommu_device_label(&devs[k], label, sizeof(label));
		fprintf(f, "%s %s (%s) is on %s", i ? "," : ":", v->blockers[i].bdf, label, v->blockers[i].driver);
	}
	if (v->nblockers > IOMMU_BLOCKERS_MAX)
		fprintf(f, " and %zu more", v->nblockers - IOMMU_BLOCKERS_MAX);
	fputc('\n', f);
}

static int groups(bool json)
{
	_cleanup_free_ struct iommu_device *devs = NULL;
	_cleanup_free_ struct iommu_record *recs = NULL;
	_cleanup_free_ int *ids = NULL;
	struct json_object *root = NULL, *arr = NULL;
	struct iommu_host h;
	int n, ng, nrec, r;

	r = iommu_host_init(&h);
	if (r < 0)
		return log_error_errno(r, "iommu groups: %m"), EXIT_FAIL;
	ng = iommu_group_list(&h, &ids);
	if (ng < 0 && ng != -ENOENT)
		return log_error_errno(ng, "iommu groups: cannot read %s/sys/kernel/iommu_groups: %m", h.root),
		       EXIT_FAIL;
	if (ng <= 0) {
		log_error("iommu groups: no IOMMU groups in %s/sys/kernel/iommu_groups: the IOMMU is off; "
			  "see 'partvm host check'", h.root);
		return EXIT_FAIL;
	}
	n = iommu_device_list(&h, &devs);
	if (n < 0)
		return log_error_errno(n, "iommu groups: cannot list PCI devices: %m"), EXIT_FAIL;
	nrec = iommu_record_list(&h, &recs);
	if (nrec < 0)
		nrec = 0;

	if (json) {
		root = json_object_new_object();
		arr = json_object_new_array();
		json_object_object_add(root, "version", json_object_new_int(IOMMU_JSON_VERSION));
		json_object_object_add(root, "groups", arr);
	}
	for (int g = 0; g < ng; g++) {
		struct iommu_viability v;
		char vfio[PATH_MAX];

		r = iommu_group_viability(&h, ids[g], &v);
		if (r < 0) {
			json_object_put(root);
			return log_error_errno(r, "iommu groups: group %d: %m", ids[g]), EXIT_FAIL;
		}
		if (json) {
			struct json_object *members = json_object_new_array();
			for (int i = 0; i < n; i++)
				if (devs[i].group == ids[g])
					json_object_array_add(members, iommu_device_to_json(&devs[i],
							      cli_find_record(recs, nrec, devs[i].bdf)));
			snprintf(vfio, sizeof(vfio), "/dev/vfio/%d", ids[g]);
			json_object_array_add(arr, iommu_group_to_json(ids[g], &v, vfio, members));
			continue;
		}
		print_verdict(stdout, ids[g], &v, devs, n);
		for (int i = 0; i < n; i++)
			if (devs[i].group == ids[g]) {
				fputs("  ", stdout);
				cli_print_device(stdout, &devs[i], cli_find_record(recs, nrec, devs[i].bdf));
			}
	}
	if (json) {
		puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
	}
	return EXIT_OK;
}

int cli_iommu(int argc, char **argv)
{
	bool json = false;
	int c;

	c = cli_parse_json_flag(argc, argv, "iommu", help, &json);
	if (c >= 0)
		return c;
	if (optind >= argc)
		return cli_usage_error("iommu", "missing subcommand (groups)");
	if (strcmp(argv[optind], "groups") != 0)
		return cli_usage_error("iommu", "unknown subcommand '%s'", argv[optind]);
	if (optind + 1 < argc)
		return cli_usage_error("iommu", "unexpected argument '%s'", argv[optind + 1]);
	return groups(json);
}
