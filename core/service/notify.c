// SPDX-License-Identifier: GPL-2.0-only
#include "core/service/notify.h"

#include <systemd/sd-daemon.h>

/* A stop must finish within the guest's deadline plus this much (the
 * VMM's own teardown, ExecStopPost's restore runs on its own timeout). */
#define NOTIFY_STOP_SLACK_USEC (15ULL * 1000000)

int notify_booting(unsigned boot)
{
	if (boot > 1)
		return sd_notifyf(0, "STATUS=rebooting (boot %u)", boot);
	return sd_notify(0, "STATUS=booting");
}

int notify_running(bool first, unsigned cpus, uint64_t memory)
{
	return sd_notifyf(0, "%sSTATUS=running: %u vCPU%s, %llu MiB", first ? "READY=1\n" : "", cpus,
			  cpus == 1 ? "" : "s", (unsigned long long)(memory >> 20));
}

int notify_paused(void)
{
	return sd_notify(0, "STATUS=paused");
}

int notify_shutting_down(unsigned deadline_s)
{
	if (!deadline_s)
		return sd_notify(0, "STATUS=shutting down: ACPI power button pressed");
	return sd_notifyf(0,
			  "STOPPING=1\n"
			  "STATUS=shutting down: ACPI power button pressed, stopping the guest in %u s "
			  "unless it powers off\n"
			  "EXTEND_TIMEOUT_USEC=%llu",
			  deadline_s, deadline_s * 1000000ULL + NOTIFY_STOP_SLACK_USEC);
}

int notify_stopping(const char *why)
{
	return sd_notifyf(0, "STOPPING=1\nSTATUS=stopping: %s", why);
}

int notify_watchdog(void)
{
	return sd_notify(0, "WATCHDOG=1");
}

uint64_t notify_watchdog_interval_usec(void)
{
	uint64_t usec = 0;

	/* sd_watchdog_enabled() also checks WATCHDOG_PID is us. */
	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec / 2 ? usec / 2 : 1;
}
