// SPDX-License-Identifier: GPL-2.0-only
/* partvm devices [--json]: the host's PCI devices, as passthrough sees them. */
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
	"Usage: partvm devices [--json]\n\n"
	"List the PCI devices: IDs and pci.ids names, IOMMU group, driver, reset\n"
	"methods, SR-IOV role and whether the host is using the device.\n\n"
	"  --json    machine-readable output (see README, \"JSON output\")\n"
	"  -h, --help\n";

int cli_devices(int argc, char **argv)
{
	_cleanup_free_ struct iommu_device *devs = NULL;
	_cleanup_free_ struct iommu_record *recs = NULL;
	struct iommu_host h;
	bool json = false;
	int c, n, nrec, r;

	c = cli_parse_json_flag(argc, argv, "devices", help, &json);
	if (c >= 0)
		return c;
	if (optind < argc)
		return cli_usage_error("devices", "unexpected argument '%s'", argv[optind]);

	r = iommu_host_init(&h);
	if (r < 0)
		return log_error_errno(r, "devices: %m"), EXIT_FAIL;
	n = iommu_device_list(&h, &devs);
	if (n < 0)
		return log_error_errno(n, "devices: cannot list PCI devices under %s/sys/bus/pci: %m", h.root),
		       EXIT_FAIL;
	nrec = iommu_record_list(&h, &recs);
	if (nrec < 0)
		nrec = 0;

	if (json) {
		struct json_object *root = json_object_new_object(), *arr = json_object_new_array();
		for (int i = 0; i < n; i++)
			json_object_array_add(arr, iommu_device_to_json(&devs[i], cli_find_record(recs, nrec, devs[i].bdf)));
		json_object_object_add(root, "version", json_object_new_int(IOMMU_JSON_VERSION));
		json_object_object_add(root, "devices", arr);
		puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
		return EXIT_OK;
	}
	cli_print_device_header(stdout);
	for (int i = 0; i < n; i++)
		cli_print_device(stdout, &devs[i], cli_find_record(recs, nrec, devs[i].bdf));
	return EXIT_OK;
}
