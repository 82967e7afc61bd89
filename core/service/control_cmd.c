// SPDX-License-Identifier: GPL-2.0-only
/* The control socket's requests: parsing, the commands, the status. */
#include <errno.h>
#include <json-c/json.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/json.h"
#include "core/service/control.h"
#include "core/util/log.h"
#include "core/vm/resources.h"
#include "core/service/service.h"
#include "core/vm/device.h"
#include "core/vm/vm.h"


static struct json_object *cpu_array(const cpu_set_t *set)
{
	struct json_object *a = json_object_new_array();

	for (unsigned cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, set))
			json_object_array_add(a, json_object_new_int((int)cpu));
	return a;
}

static struct json_object *vcpus_status(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct json_object *a = json_object_new_array();

	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct json_object *o = json_object_new_object();
		pid_t tid = __atomic_load_n(&vm->vcpus[i].tid, __ATOMIC_ACQUIRE);
		cpu_set_t set;

		json_object_object_add(o, "index", json_object_new_int((int)i));
		json_object_object_add(o, "tid", tid ? json_object_new_int(tid) : NULL);
		/* What the kernel says, not what we asked for. */
		if (tid && sched_getaffinity(tid, sizeof(set), &set) == 0)
			json_object_object_add(o, "cpus", cpu_array(&set));
		else
			json_object_object_add(o, "cpus", NULL);
		json_object_object_add(o, "pinned", json_object_new_boolean(i < cfg->ncpu_affinity));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *memory_status(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "size", json_object_new_int64((int64_t)cfg->memory));
	json_object_object_add(o, "backing", json_object_new_string(resources_backing_name(cfg->memory_backing)));
	json_object_object_add(o, "mlock", json_object_new_boolean(cfg->mlock));
	json_object_object_add(o, "numa-node", cfg->numa_node >= 0 ? json_object_new_int(cfg->numa_node) : NULL);
	return o;
}

/* [partition] hyperv, hypervisor-id and hyperv-vendor-id as the vCPUs
 * have them. */
static struct json_object *hypervisor_status(struct vm *vm)
{
	struct kvm_hypervisor h = config_hypervisor(vm->cfg);
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "hyperv", json_object_new_boolean(h.hyperv));
	json_object_object_add(o, "hypervisor-id", json_object_new_string(config_hypervisor_id_name(h.id)));
	json_object_object_add(o, "hyperv-vendor-id", h.hyperv ? json_object_new_string(h.vendor) : NULL);
	return o;
}

static int cmd_status(struct vm *vm, struct json_object *reply, const char **why)
{
	char uptime[32];

	json_object_object_add(reply, "name", json_object_new_string(vm->cfg->name ? vm->cfg->name : ""));
	json_object_object_add(reply, "pid", json_object_new_int(getpid()));
	json_object_object_add(reply, "state", json_object_new_string(service_state(vm)));
	snprintf(uptime, sizeof(uptime), "%.1f", service_uptime(vm));
	json_object_object_add(reply, "uptime", json_object_new_double_s(service_uptime(vm), uptime));
	json_object_object_add(reply, "boots", json_object_new_int((int)vm->boots));
	json_object_object_add(reply, "vcpus", vcpus_status(vm));
	json_object_object_add(reply, "memory", memory_status(vm));
	json_object_object_add(reply, "hypervisor", hypervisor_status(vm));
	json_object_object_add(reply, "kernel", vm->cfg->kernel ? json_object_new_string(vm->cfg->kernel) : NULL);
	json_object_object_add(reply, "firmware",
			       vm->cfg->firmware ? json_object_new_string(vm->cfg->firmware) : NULL);
	json_object_object_add(reply, "devices", json_object_new_array());
	json_object_object_add(reply, "tpm", NULL);
	devices_status(vm, reply);
	return 0;
}

static void add_state(struct vm *vm, struct json_object *reply)
{
	json_object_object_add(reply, "state", json_object_new_string(service_state(vm)));
}

static int cmd_pause(struct vm *vm, struct json_object *reply, const char **why)
{
	if (vm_pause(vm) < 0) {
		*why = "the guest is stopping";
		return -EBUSY;
	}
	log_info("paused (control socket): every vCPU is out of the guest");
	service_state_changed(vm);
	add_state(vm, reply);
	return 0;
}

static int cmd_resume(struct vm *vm, struct json_object *reply, const char **why)
{
	if (vm_resume(vm) < 0) {
		*why = "the guest is stopping";
		return -EBUSY;
	}
	log_info("resumed (control socket)");
	service_state_changed(vm);
	add_state(vm, reply);
	return 0;
}

static int cmd_shutdown(struct vm *vm, struct json_object *reply, const char **why)
{
	if (!strcmp(service_state(vm), "paused")) {
		*why = "the guest is paused and cannot act on the power button; resume it first";
		return -EBUSY;
	}
	if (service_shutdown(vm, false) < 0) {
		*why = "this VM has no ACPI power button";
		return -ENODEV;
	}
	add_state(vm, reply);
	return 0;
}

static int cmd_stop(struct vm *vm, struct json_object *reply, const char **why)
{
	log_info("stop (control socket): stopping the guest now");
	service_set_stop_text(vm, "stopped over the control socket");
	vm_request_stop(vm, VM_STOP_POWEROFF, 0);
	add_state(vm, reply);
	return 0;
}

static int cmd_reboot(struct vm *vm, struct json_object *reply, const char **why)
{
	log_info("reboot (control socket): resetting the guest");
	vm_request_stop(vm, VM_STOP_RESET, 0);
	json_object_object_add(reply, "state", json_object_new_string(vm->cfg->no_reboot ? "stopping" : "rebooting"));
	return 0;
}

/* The exit statistics (core/vm/stats.h), as the lines `run --stats` prints. */
static int cmd_stats(struct vm *vm, struct json_object *reply, const char **why)
{
	_cleanup_free_ char *text = vm_stats_report(vm, 20);
	struct json_object *lines;
	char *line, *save = NULL;

	if (!text) {
		*why = "out of memory";
		return -ENOMEM;
	}
	lines = json_object_new_array();
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		json_object_array_add(lines, json_object_new_string(line));
	json_object_object_add(reply, "stats", lines);
	return 0;
}

/* The connection becomes the console's (control.c does the rest). */
static int cmd_console(struct vm *vm, struct json_object *reply, const char **why)
{
	if (!vm->console_out) {
		*why = "this partition has no console output";
		return -ENODEV;
	}
	return CONTROL_CONSOLE;
}

static const struct command {
	const char *name;
	int (*run)(struct vm *vm, struct json_object *reply, const char **why);
} commands[] = {
	{ "status", cmd_status },
	{ "pause", cmd_pause },
	{ "resume", cmd_resume },
	{ "shutdown", cmd_shutdown },
	{ "stop", cmd_stop },
	{ "reboot", cmd_reboot },
	{ "stats", cmd_stats },
	{ "console", cmd_console },
};

static int to_line(struct json_object *o, char **reply)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	*reply = s ? strdup(s) : NULL;
	return *reply ? 0 : -ENOMEM;
}

static int error_reply(struct json_object *id, char **reply, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int error_reply(struct json_object *id, char **reply, const char *fmt, ...)
{
	_cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
	char msg[512];
	va_list ap;

	if (!o)
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(false));
	json_object_object_add(o, "error", json_object_new_string(msg));
	if (id)
		json_object_object_add(o, "id", json_object_get(id));
	return to_line(o, reply);
}

int control_reply_too_long(char **reply)
{
	return error_reply(NULL, reply, "request longer than %d bytes; it was dropped", CONTROL_MAX_LINE);
}

int control_execute(struct vm *vm, const char *line, size_t len, char **reply)
{
	_cleanup_(json_tokener_freep) struct json_tokener *tok = NULL;
	_cleanup_(json_object_putp) struct json_object *req = NULL, *out = NULL;
	struct json_object *id = NULL, *cmd = NULL;
	const struct command *c = NULL;
	const char *name, *why = NULL;
	enum json_tokener_error jerr;
	size_t end;
	int r;

	if (len > CONTROL_MAX_LINE)
		return control_reply_too_long(reply);
	if (memchr(line, '\0', len))
		return error_reply(NULL, reply, "malformed request: it contains a NUL byte");
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	req = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!req && jerr == json_tokener_continue)
		return error_reply(NULL, reply, "malformed JSON: the request ends early");
	if (!req || jerr != json_tokener_success)
		return error_reply(NULL, reply, "malformed JSON: %s", json_tokener_error_desc(jerr));
	for (end = json_tokener_get_parse_end(tok); end < len; end++)
		if (!strchr(" \t\r", line[end]))
			return error_reply(NULL, reply, "malformed JSON: text after the request object");
	if (!json_object_is_type(req, json_type_object))
		return error_reply(NULL, reply, "a request is a JSON object such as {\"command\": \"status\"}");

	json_object_object_get_ex(req, "id", &id);
	json_object_object_foreach(req, key, val) {
		(void)val;
		if (strcmp(key, "command") && strcmp(key, "id"))
			return error_reply(id, reply, "unknown key '%.64s' (a request has \"command\" and "
					   "optionally \"id\")", key);
	}
	if (!json_object_object_get_ex(req, "command", &cmd) || !json_object_is_type(cmd, json_type_string))
		return error_reply(id, reply, "no \"command\" string in the request");
	name = json_object_get_string(cmd);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(name, commands[i].name))
			c = &commands[i];
	if (!c)
		return error_reply(id, reply, "unknown command '%.64s' (status, pause, resume, shutdown, "
				   "stop, reboot, stats, console)", name);

	out = json_object_new_object();
	if (!out)
		return -ENOMEM;
	json_object_object_add(out, "ok", json_object_new_boolean(true));
	if (id)
		json_object_object_add(out, "id", json_object_get(id));
	r = c->run(vm, out, &why);
	if (r < 0)
		return error_reply(id, reply, "%s: %s", name, why ? why : strerror(-r));
	if (r == CONTROL_CONSOLE) {
		r = to_line(out, reply);
		return r < 0 ? r : CONTROL_CONSOLE;
	}
	return to_line(out, reply);
}
