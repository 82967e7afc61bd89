/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The partition's state for its service manager, through libsystemd's
 * sd_notify(3): READY=1 once the guest's vCPUs run, STATUS= lines
 * (booting, running, paused, shutting down, stopping), STOPPING=1, and
 * WATCHDOG=1 when the unit sets WatchdogSec=.
 *
 * libsystemd is loaded only when $NOTIFY_SOCKET is set (notify_init()).
 * Without it (partvm not started by systemd) every call sends nothing and
 * returns 0. Each returns what sd_notify() does: > 0 sent,
 * 0 nobody listening, or a negative errno; callers may ignore it, a lost
 * status line never stops a partition.
 */
#ifndef PARTVM_NOTIFY_H
#define PARTVM_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NOTIFY_LIBSYSTEMD "libsystemd.so.0"

/*
 * Under a service manager ($NOTIFY_SOCKET set), load libsystemd; before
 * any thread starts and before the seccomp filters (it opens and maps the
 * library). 0, also when there is nothing to do; -ENOENT with WHY filled
 * when the library or its sd_notify() cannot be had: the service manager
 * would then wait for a READY=1 that never comes.
 */
int notify_init(char *why, size_t len);
/* notify_init()'s loading of library NAME, whatever $NOTIFY_SOCKET says. */
int notify_load(const char *name, char *why, size_t len);

/* "STATUS=booting", or "STATUS=rebooting (boot N)" for BOOT > 1. */
int notify_booting(unsigned boot);
/* "STATUS=running: N vCPUs, M MiB", preceded by "READY=1" when FIRST. */
int notify_running(bool first, unsigned cpus, uint64_t memory);
/* ready-on = guest: the vCPUs run, READY=1 waits for the guest's own. */
int notify_waiting_for_guest(unsigned cpus, uint64_t memory);
/* The guest's systemd said READY=1 (FIRST: tell systemd READY=1 too);
 * STATUS, the guest's own status text, or NULL. */
int notify_guest_ready(bool first, unsigned cpus, uint64_t memory, const char *status);
int notify_paused(void);
/*
 * The ACPI power button was pressed. With DEADLINE_S > 0 (SIGTERM) the
 * guest is stopped after that many seconds: "STOPPING=1", the status, and
 * EXTEND_TIMEOUT_USEC so that systemd waits for it whatever the unit's
 * TimeoutStopSec says. With 0 (the control socket's `shutdown`) only the
 * status: the guest may ignore the button and keep running.
 */
int notify_shutting_down(unsigned deadline_s);
/* "STOPPING=1" and "STATUS=stopping: WHY". */
int notify_stopping(const char *why);
int notify_watchdog(void);

/* How often to send WATCHDOG=1 (half of WatchdogSec=), 0 when the
 * service manager does not expect it. */
uint64_t notify_watchdog_interval_usec(void);

#endif
