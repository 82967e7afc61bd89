// SPDX-License-Identifier: GPL-2.0-only
/* partvm ctl NAME COMMAND: talk to a running partition. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/util/cleanup.h"
#include "core/util/json.h"
#include "core/cli/cli.h"
#include "core/cli/ctl.h"
#include "core/service/control.h"
#include "core/util/log.h"
#include "core/util/sysfs.h"


static const char *const commands[] = { "status", "pause", "resume", "shutdown", "stop", "reboot",
					 "stats" };

static void usage(FILE *f)
{
	fprintf(f, "Usage: partvm ctl NAME COMMAND [--json]\n\n"
		   "Send COMMAND to the running partition NAME over its control socket\n"
		   "(%s/NAME.sock):\n\n"
		   "  status     state, uptime, vCPUs with their host threads and CPUs, memory,\n"
		   "             devices and TPM\n"
		   "  pause      stop every vCPU (the guest's clock stands still)\n"
		   "  resume     run the vCPUs again\n"
		   "  shutdown   press the ACPI power button; the guest powers off by itself\n"
		   "  stop       stop the guest at once (like pulling the plug)\n"
		   "  reboot     reset the guest\n"
		   "  stats      where the guest's time went: time in KVM_RUN, exits by kind and\n"
		   "             by device, with handler time (as `partvm run --stats` prints)\n\n"
		   "  -j, --json   print the partition's JSON reply as it is\n"
		   "  -h, --help\n\n"
		   "Exit status: 0 done, 1 the partition refused or is not running, 2 bad usage.\n",
		partvm_runtime_dir());
}

int cli_ctl_connect(const char *cmd, const char *name, int *out)
{
	const char *runtime = partvm_runtime_dir();
	_cleanup_close_ int fd = -1;
	int r;

	r = control_connect(runtime, name, &fd);
	if (r == -ECONNREFUSED) {
		int s = control_remove_stale(runtime, name);

		if (s < 0 && s != -EADDRINUSE)
			return log_error_errno(s, "%s: partition %s is not running, and its stale socket "
					       "%s/%s.sock cannot be removed: %m", cmd, name, runtime, name);
		if (s == 0) {
			log_error("%s: partition %s is not running (removed the stale socket "
				  "%s/%s.sock its killed partvm left)", cmd, name, runtime, name);
			return r;
		}
		/* Someone started it in between. */
		r = control_connect(runtime, name, &fd);
	}
	if (r == -ENOENT)
		return log_error_errno(r, "%s: partition %s is not running (no %s/%s.sock)", cmd, name,
				       runtime, name);
	if (r < 0)
		return log_error_errno(r, "%s: cannot connect to %s/%s.sock: %m", cmd, runtime, name);
	*out = TAKE_FD(fd);
	return 0;
}

int cli_ctl_call(const char *cmd, const char *name, const char *command, struct json_object **reply)
{
	_cleanup_close_ int fd = -1;
	int r = cli_ctl_connect(cmd, name, &fd);

	if (r < 0)
		return r;
	r = control_call(fd, command, CLI_CTL_TIMEOUT_MS, reply);
	if (r == -ETIMEDOUT)
		return log_error_errno(r, "%s: partition %s did not answer within %d s", cmd, name,
				       CLI_CTL_TIMEOUT_MS / 1000);
	if (r < 0)
		return log_error_errno(r, "%s: no reply from partition %s: %m", cmd, name);
	return 0;
}

void cli_format_uptime(struct json_object *status, char *buf, size_t len)
{
	struct json_object *u;
	unsigned long long s;

	if (!json_object_object_get_ex(status, "uptime", &u)) {
		snprintf(buf, len, "-");
		return;
	}
	s = (unsigned long long)json_object_get_double(u);
	if (s >= 86400)
		snprintf(buf, len, "%llud %02llu:%02llu:%02llu", s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%02llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
}

static void append(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n;
}

void cli_format_devices(struct json_object *status, char *buf, size_t len)
{
	struct json_object *devs, *tpm, *bdf, *vf, *pf, *idx;
	size_t off = 0;

	buf[0] = '\0';
	if (json_object_object_get_ex(status, "devices", &devs) && json_object_is_type(devs, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(devs); i++) {
			struct json_object *d = json_object_array_get_idx(devs, i);

			append(buf, len, &off, "%s%s", off ? ", " : "",
			       json_object_object_get_ex(d, "bdf", &bdf) ? json_object_get_string(bdf) : "?");
			if (json_object_object_get_ex(d, "vf", &vf) && json_object_is_type(vf, json_type_object) &&
			    json_object_object_get_ex(vf, "pf", &pf) && json_object_object_get_ex(vf, "index", &idx))
				append(buf, len, &off, " (VF %s/%d)", json_object_get_string(pf),
				       json_object_get_int(idx));
		}
	}
	if (json_object_object_get_ex(status, "tpm", &tpm) && tpm)
		append(buf, len, &off, "%svTPM", off ? ", " : "");
	if (!off)
		snprintf(buf, len, "-");
}

static void print_status(const char *name, struct json_object *st)
{
	struct json_object *v, *vcpus, *mem;
	char uptime[32], devs[1024];

	cli_format_uptime(st, uptime, sizeof(uptime));
	cli_format_devices(st, devs, sizeof(devs));
	printf("%s: %s, pid %d, up %s, boot %d\n", name,
	       json_object_object_get_ex(st, "state", &v) ? json_object_get_string(v) : "?",
	       json_object_object_get_ex(st, "pid", &v) ? json_object_get_int(v) : 0, uptime,
	       json_object_object_get_ex(st, "boots", &v) ? json_object_get_int(v) : 0);
	if (json_object_object_get_ex(st, "vcpus", &vcpus))
		for (size_t i = 0; i < json_object_array_length(vcpus); i++) {
			struct json_object *c = json_object_array_get_idx(vcpus, i), *cpus, *tid, *pinned;
			char list[256] = "";
			size_t off = 0;

			if (json_object_object_get_ex(c, "cpus", &cpus) && cpus)
				for (size_t k = 0; k < json_object_array_length(cpus); k++)
					append(list, sizeof(list), &off, "%s%d", k ? "," : "",
					       json_object_get_int(json_object_array_get_idx(cpus, k)));
			json_object_object_get_ex(c, "tid", &tid);
			json_object_object_get_ex(c, "pinned", &pinned);
			printf("  vcpu %zu: thread %d, host CPUs %s%s\n", i, tid ? json_object_get_int(tid) : 0,
			       off ? list : "?", json_object_get_boolean(pinned) ? " (pinned)" : "");
		}
	if (json_object_object_get_ex(st, "memory", &mem)) {
		struct json_object *size, *backing, *mlock, *node;

		json_object_object_get_ex(mem, "size", &size);
		json_object_object_get_ex(mem, "backing", &backing);
		json_object_object_get_ex(mem, "mlock", &mlock);
		json_object_object_get_ex(mem, "numa-node", &node);
		printf("  memory: %lld MiB, %s%s", (long long)(json_object_get_int64(size) >> 20),
		       json_object_get_string(backing), json_object_get_boolean(mlock) ? ", locked" : "");
		if (node)
			printf(", NUMA node %d", json_object_get_int(node));
		printf("\n");
	}
	if (json_object_object_get_ex(st, "hypervisor", &v)) {
		struct json_object *hyperv, *id, *vendor;
		const char *name;

		json_object_object_get_ex(v, "hyperv", &hyperv);
		json_object_object_get_ex(v, "hypervisor-id", &id);
		json_object_object_get_ex(v, "hyperv-vendor-id", &vendor);
		name = id ? json_object_get_string(id) : "kvm";
		if (json_object_get_boolean(hyperv))
			printf("  hypervisor: Hyper-V enlightenments, vendor '%s', %s\n",
			       vendor ? json_object_get_string(vendor) : "?",
			       !strcmp(name, "hide") ? "KVM hidden" : "KVM's leaves at 0x40000100");
		else if (!strcmp(name, "hide"))
			printf("  hypervisor: hidden (no KVM leaves, no hypervisor bit)\n");
		else
			printf("  hypervisor: KVM\n");
	}
	printf("  devices: %s\n", devs);
}

int cli_ctl(int argc, char **argv)
{
	_cleanup_(json_object_putp) struct json_object *reply = NULL;
	struct json_object *ok, *err, *state;
	const char *name, *command;
	bool json = false, known = false;
	_cleanup_free_ char *help = NULL;
	int c;

	help = cli_help_text(usage);
	c = cli_parse_json_flag(argc, argv, "ctl", help, &json);
	if (c >= 0)
		return c;
	if (argc - optind != 2)
		return cli_usage_error("ctl", "expected NAME and COMMAND");
	name = argv[optind];
	command = argv[optind + 1];
	if (!control_name_valid(name))
		return cli_usage_error("ctl", "'%s' is not a partition name", name);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		known |= !strcmp(command, commands[i]);
	if (!known)
		return cli_usage_error("ctl", "unknown command '%s' (status, pause, resume, shutdown, stop, reboot, "
				       "stats)", command);

	if (cli_ctl_call("ctl", name, command, &reply) < 0)
		return EXIT_FAIL;
	if (json)
		puts(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	if (!json_object_object_get_ex(reply, "ok", &ok) || !json_object_get_boolean(ok)) {
		log_error("ctl %s %s: %s", name, command,
			  json_object_object_get_ex(reply, "error", &err) ? json_object_get_string(err) : "refused");
		return EXIT_FAIL;
	}
	if (json)
		return EXIT_OK;
	if (!strcmp(command, "status"))
		print_status(name, reply);
	else if (!strcmp(command, "stats") && json_object_object_get_ex(reply, "stats", &state))
		for (size_t i = 0; i < json_object_array_length(state); i++)
			puts(json_object_get_string(json_object_array_get_idx(state, i)));
	else
		printf("%s: %s\n", name,
		       json_object_object_get_ex(reply, "state", &state) ? json_object_get_string(state) : "done");
	return EXIT_OK;
}
