// SPDX-License-Identifier: GPL-2.0-only
#include "core/service/notify.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "core/util/cleanup.h"

/* A stop must finish within the guest's deadline plus this much (the
 * VMM's own teardown, ExecStopPost's restore runs on its own timeout). */
#define NOTIFY_STOP_SLACK_USEC (15ULL * 1000000)

/* libsystemd, loaded by notify_init() before any thread starts and only
 * under a service manager; read-only after that, like the log level. A
 * partvm started by hand never maps it, nor the compression libraries it
 * pulls in (0.7 MiB of the VMM's resident set). */
static struct {
	typeof(&sd_notify) notify;
	typeof(&sd_watchdog_enabled) watchdog_enabled;
} sd;

int notify_load(const char *name, char *why, size_t len)
{
	void *lib;

	if (sd.notify)
		return 0;
	/* Never closed: it serves the process's whole life. */
	lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (lib) {
		sd.notify = (typeof(sd.notify))dlsym(lib, "sd_notify");
		sd.watchdog_enabled = (typeof(sd.watchdog_enabled))dlsym(lib, "sd_watchdog_enabled");
	}
	if (!sd.notify || !sd.watchdog_enabled) {
		const char *e = dlerror();

		snprintf(why, len, "%s", e ? e : "no sd_notify() in it");
		sd.notify = NULL;
		sd.watchdog_enabled = NULL;
		return -ENOENT;
	}
	return 0;
}

int notify_init(char *why, size_t len)
{
	const char *socket = getenv("NOTIFY_SOCKET");

	if (!socket || !socket[0])
		return 0;
	return notify_load(NOTIFY_LIBSYSTEMD, why, len);
}

static int send_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int send_status(const char *fmt, ...)
{
	_cleanup_free_ char *text = NULL;
	va_list ap;
	int n;

	if (!sd.notify)
		return 0;
	/* Whole, as sd_notifyf() sent it: no length cut on a status line. */
	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0) {
		text = NULL;
		return -ENOMEM;
	}
	return sd.notify(0, text);
}

int notify_booting(unsigned boot)
{
	if (boot > 1)
		return send_status("STATUS=rebooting (boot %u)", boot);
	return send_status("STATUS=booting");
}

int notify_running(bool first, unsigned cpus, uint64_t memory)
{
	return send_status("%sSTATUS=running: %u vCPU%s, %llu MiB", first ? "READY=1\n" : "", cpus,
			   cpus == 1 ? "" : "s", (unsigned long long)(memory >> 20));
}

int notify_waiting_for_guest(unsigned cpus, uint64_t memory)
{
	return send_status("STATUS=running: %u vCPU%s, %llu MiB; waiting for the guest's READY=1", cpus,
			   cpus == 1 ? "" : "s", (unsigned long long)(memory >> 20));
}

int notify_guest_ready(bool first, unsigned cpus, uint64_t memory, const char *status)
{
	return send_status("%sSTATUS=running: %u vCPU%s, %llu MiB; the guest is up (its READY=1%s%s)",
			   first ? "READY=1\n" : "", cpus, cpus == 1 ? "" : "s",
			   (unsigned long long)(memory >> 20), status && *status ? ": " : "",
			   status ? status : "");
}

int notify_paused(void)
{
	return send_status("STATUS=paused");
}

int notify_shutting_down(unsigned deadline_s)
{
	if (!deadline_s)
		return send_status("STATUS=shutting down: ACPI power button pressed");
	return send_status("STOPPING=1\n"
			   "STATUS=shutting down: ACPI power button pressed, stopping the guest in %u s "
			   "unless it powers off\n"
			   "EXTEND_TIMEOUT_USEC=%llu",
			   deadline_s, deadline_s * 1000000ULL + NOTIFY_STOP_SLACK_USEC);
}

int notify_stopping(const char *why)
{
	return send_status("STOPPING=1\nSTATUS=stopping: %s", why);
}

int notify_watchdog(void)
{
	return send_status("WATCHDOG=1");
}

uint64_t notify_watchdog_interval_usec(void)
{
	uint64_t usec = 0;

	/* sd_watchdog_enabled() also checks WATCHDOG_PID is us. */
	if (!sd.watchdog_enabled || sd.watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec / 2 ? usec / 2 : 1;
}
