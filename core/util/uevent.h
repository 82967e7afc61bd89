/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Wait for a device event instead of sleeping: a libudev monitor that is
 * opened before the action that causes the event, then drained until a
 * caller-supplied predicate is satisfied or a deadline passes.
 *
 * Typical use (bind a driver, create VFs, wait for a netdev):
 *
 *	struct uevent_waiter *w;
 *	r = uevent_waiter_new("pci", &w);       // listen first ...
 *	r = sysfs_write(...);                    // ... then act ...
 *	r = uevent_wait(w, 5000, pred, &ctx);    // ... then wait
 *	uevent_waiter_free(w);
 *
 * The predicate is also called once with dev == NULL before any event is
 * read, to test the current state: a condition that already holds ends the
 * wait at once, so callers need no separate "already done?" check and no
 * race between the check and the event exists.
 */
#ifndef PARTVM_UEVENT_H
#define PARTVM_UEVENT_H

#include "core/util/cleanup.h"

struct uevent_waiter;

/* A received event: "add", "bind", "change"...; the device's sysfs name
 * ("0000:00:12.0", "eth0"); its subsystem. Any may be NULL. */
struct uevent {
	const char *action;
	const char *sysname;
	const char *subsystem;
};

/*
 * Return > 0 when the wait is over (that value is returned by uevent_wait),
 * 0 to keep waiting, or a negative errno to abort the wait with it.
 * EV is NULL for the initial check of the current state; otherwise it is the
 * received event, valid only during the call.
 */
typedef int (*uevent_predicate_fn)(const struct uevent *ev, void *userdata);

/*
 * Start listening for events of SUBSYSTEM ("pci", "net", "vfio"; NULL for all).
 * Events come from udevd (after its rules ran, so /dev nodes have their final
 * owner and mode) when udevd is running, else straight from the kernel.
 * libudev is loaded for the waiter's life. Returns 0, -ELIBACC when libudev
 * cannot be loaded, or another negative errno.
 */
int uevent_waiter_new(const char *subsystem, struct uevent_waiter **out);

/* Wait up to TIMEOUT_MS (< 0: forever). Returns the predicate's positive
 * value, its negative errno, -ETIMEDOUT, or another negative errno. */
int uevent_wait(struct uevent_waiter *w, int timeout_ms, uevent_predicate_fn pred, void *userdata);

/* The monitor's file descriptor, for callers that poll it in their own loop. */
int uevent_waiter_fd(const struct uevent_waiter *w);

/* "udev" or "kernel": where this waiter's events come from. */
const char *uevent_waiter_source(const struct uevent_waiter *w);

void uevent_waiter_free(struct uevent_waiter *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct uevent_waiter *, uevent_waiter_free)
#define _cleanup_uevent_waiter_ _cleanup_(uevent_waiter_freep)

#endif
