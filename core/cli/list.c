// SPDX-License-Identifier: GPL-2.0-only
/* partvm list [--json]: the running partitions, found by their control
 * sockets. A socket whose partvm was killed is removed, never listed. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/cleanup.h"
#include "core/cli/cli.h"
#include "core/cli/ctl.h"
#include "core/service/control.h"
#include "core/util/log.h"
#include "core/util/sysfs.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: partvm list [--json]\n\n"
		   "List the running partitions: name, state, pid, uptime and devices, as each\n"
		   "answers on its control socket in %s. A socket left behind by a\n"
		   "killed partvm is removed (said on stderr) and not listed.\n\n"
		   "  -j, --json   {\"partitions\": [...]}, each the partition's `status` reply\n"
		   "  -h, --help\n",
		partvm_runtime_dir());
}

static void free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static const char *str(struct json_object *o, const char *key, const char *dflt)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : dflt;
}

int cli_list(int argc, char **argv)
{
	const char *runtime = partvm_runtime_dir();
	struct json_object *parts;
	bool json = false, failed = false;
	char **names = NULL;
	_cleanup_free_ char *help = NULL;
	int c, n, shown = 0;

	help = cli_help_text(usage);
	c = cli_parse_json_flag(argc, argv, "list", help, &json);
	if (c >= 0)
		return c;
	if (optind < argc)
		return cli_usage_error("list", "unexpected argument '%s'", argv[optind]);

	n = control_list_names(runtime, &names);
	if (n < 0)
		return log_error_errno(n, "list: cannot read %s: %m", runtime), EXIT_FAIL;

	parts = json_object_new_array();
	for (int i = 0; i < n; i++) {
		struct json_object *st = NULL, *ok;
		int r = cli_ctl_call("list", names[i], "status", &st);

		/* Stale (removed, said so) or gone since the directory was read. */
		if (r == -ECONNREFUSED || r == -ENOENT)
			continue;
		if (r < 0 || !json_object_object_get_ex(st, "ok", &ok) || !json_object_get_boolean(ok)) {
			/* Alive but not answering: list it as such, not as running. */
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "name", json_object_new_string(names[i]));
			json_object_object_add(o, "state", json_object_new_string("unresponsive"));
			json_object_array_add(parts, o);
			json_object_put(st);
			failed = true;
			continue;
		}
		json_object_object_del(st, "ok");
		json_object_array_add(parts, st);
	}
	free_names(names, n);

	if (json) {
		struct json_object *root = json_object_new_object();

		json_object_object_add(root, "version", json_object_new_int(1));
		json_object_object_add(root, "partitions", parts);
		puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
		return failed ? EXIT_FAIL : EXIT_OK;
	}
	for (size_t i = 0; i < json_object_array_length(parts); i++) {
		struct json_object *st = json_object_array_get_idx(parts, i);
		char uptime[32], devs[1024];

		if (!shown++)
			printf("%-16s %-13s %8s %12s  %s\n", "NAME", "STATE", "PID", "UPTIME", "DEVICES");
		cli_format_uptime(st, uptime, sizeof(uptime));
		cli_format_devices(st, devs, sizeof(devs));
		printf("%-16s %-13s %8s %12s  %s\n", str(st, "name", "?"), str(st, "state", "?"),
		       str(st, "pid", "-"), uptime, devs);
	}
	if (!shown)
		printf("no partitions running\n");
	json_object_put(parts);
	return failed ? EXIT_FAIL : EXIT_OK;
}
