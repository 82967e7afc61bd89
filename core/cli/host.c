// SPDX-License-Identifier: GPL-2.0-only
/* partvm host check [--json]: is this host ready for passthrough? */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "core/cli/cli.h"
#include "core/util/log.h"
#include "iommu/iommu.h"

static const char help[] =
	"Usage: partvm host check [--json]\n\n"
	"One PASS, WARN or FAIL line per check, with the fix: kvm, iommu, intremap,\n"
	"vfio, hugepages, groups, resets, gpu. Exits 1 when any check FAILs.\n\n"
	"  --json    machine-readable output\n"
	"  -h, --help\n";

int cli_host(int argc, char **argv)
{
	struct iommu_check checks[IOMMU_CHECKS_MAX];
	struct iommu_host h;
	bool json = false, failed = false;
	int c, n, r;

	/* host apply has its own options (core/cli/hostapply.c). */
	if (argc >= 2 && !strcmp(argv[1], "apply"))
		return cli_host_apply(argc - 1, argv + 1);

	c = cli_parse_json_flag(argc, argv, "host", help, &json);
	if (c >= 0)
		return c;
	if (optind >= argc)
		return cli_usage_error("host", "missing subcommand (check)");
	if (strcmp(argv[optind], "check") != 0)
		return cli_usage_error("host", "unknown subcommand '%s'", argv[optind]);
	if (optind + 1 < argc)
		return cli_usage_error("host", "unexpected argument '%s'", argv[optind + 1]);

	r = iommu_host_init(&h);
	if (r < 0)
		return log_error_errno(r, "host check: %m"), EXIT_FAIL;
	n = iommu_host_check(&h, checks, IOMMU_CHECKS_MAX);
	if (n < 0)
		return log_error_errno(n, "host check: %m"), EXIT_FAIL;

	struct json_object *arr = json ? json_object_new_array() : NULL;
	for (int i = 0; i < n; i++) {
		const struct iommu_check *k = &checks[i];
		failed |= k->status == IOMMU_CHECK_FAIL;
		if (json) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "check", json_object_new_string(k->name));
			json_object_object_add(o, "status", json_object_new_string(iommu_check_status_name(k->status)));
			json_object_object_add(o, "message", json_object_new_string(k->message));
			json_object_object_add(o, "hint", k->hint[0] ? json_object_new_string(k->hint) : NULL);
			json_object_array_add(arr, o);
			continue;
		}
		printf("%s %-9s %s%s%s\n", iommu_check_status_name(k->status), k->name, k->message,
		       k->hint[0] ? "; fix: " : "", k->hint);
	}
	if (json) {
		struct json_object *root = json_object_new_object();
		json_object_object_add(root, "version", json_object_new_int(1));
		json_object_object_add(root, "ok", json_object_new_boolean(!failed));
		json_object_object_add(root, "checks", arr);
		puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
	}
	return failed ? EXIT_FAIL : EXIT_OK;
}
