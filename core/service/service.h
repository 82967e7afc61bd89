/* SPDX-License-Identifier: GPL-2.0-only
 *
 * The partition as a service of the host: what `partvm run` adds around
 * the guest so that systemd and an operator can manage it. It owns the
 * control socket (core/control.h), tells the service manager the state
 * (core/notify.h), pings its watchdog, and turns SIGTERM into a graceful
 * shutdown: the ACPI power button, then a stop after shutdown-timeout.
 *
 * service_run() calls these at the points of a partition's life; every
 * function is a no-op on a VM without a service (unit tests).
 */
#ifndef PARTVM_SERVICE_H
#define PARTVM_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct loop;

/* Before the first boot: the control socket and the watchdog timer.
 * Returns 0, or a negative errno when the partition must not start (a
 * live partvm already serves this name); logged. */
int service_start(struct vm *vm, struct loop *loop);
/* Before each boot (1 = the first). */
void service_booting(struct vm *vm);
/* After each boot started the vCPUs: wait until their threads run, then
 * READY=1 (once) and STATUS=running. */
void service_booted(struct vm *vm);
/* At the end of service_run(): STOPPING=1, the control socket removed. */
void service_stop(struct vm *vm);

/* SIGTERM from the loop: the power button and a deadline; a second
 * SIGTERM, or shutdown-timeout = 0, stops the guest at once. */
void service_sigterm(struct vm *vm);
/* Press the ACPI power button (the control socket's `shutdown`); with
 * DEADLINE, stop the guest after shutdown-timeout. 0 or -ENODEV. */
int service_shutdown(struct vm *vm, bool deadline);
/* Say why the partition stops (STATUS=stopping: WHY) when the stop
 * reason alone would not: `stop` over the control socket. */
void service_set_stop_text(struct vm *vm, const char *why);
/* After a pause or resume: tell the service manager. */
void service_state_changed(struct vm *vm);

/* "booting", "running", "paused", "shutting-down" or "stopping". */
const char *service_state(struct vm *vm);
/* Seconds since service_start(). */
double service_uptime(struct vm *vm);

#endif
