/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host side of a virtio-net device: a tap interface, one file
 * descriptor a queue pair, each with the 12-byte virtio-net header
 * (IFF_VNET_HDR) so offloads pass through unchanged.
 *
 * A tap partvm creates is not persistent: the kernel deletes it when the
 * last of its fds closes, so it goes with partvm however partvm ends
 * (kill -9 included) and nothing is left to restore.
 */
#ifndef PARTVM_VIRTIO_TAP_H
#define PARTVM_VIRTIO_TAP_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The name partvm gives a tap it creates when the config names none. */
#define TAP_NAME_TEMPLATE "partvm%d"

struct tap {
	char name[IFNAMSIZ];
	char bridge[IFNAMSIZ];        /* the bridge we enslaved it to, or "" */
	unsigned nqueues;
	int *fds;                     /* nqueues, nonblocking */
	bool created;                 /* ours: gone with our fds */
};

struct tap_request {
	const char *name;             /* NULL: create TAP_NAME_TEMPLATE */
	const char *bridge;           /* create the tap and enslave it here */
	unsigned nqueues;
	uid_t owner;                  /* of a created tap (-1: root only) */
	const char *root;             /* for sysfs and /proc ("" in production) */
};

/* Is the request possible on this host, before anything is changed: an
 * existing NAME is a tap that fits (multi-queue when needed, nobody
 * attached to it, no bridge asked of it), BRIDGE is a bridge. 0, or a
 * negative errno with WHY set to one line. */
int tap_check(const struct tap_request *req, char *why, size_t len);
/* Open (and create, enslave, bring up) the tap. On failure nothing is left
 * changed and WHY says what went wrong. */
int tap_open(struct tap *t, const struct tap_request *req, char *why, size_t len);
void tap_close(struct tap *t);

/* TUN_F_* offloads the guest takes: the tap hands it only packets it can
 * take (partially checksummed, TSO). */
int tap_set_offload(struct tap *t, unsigned tun_flags);
/* Attach or detach queue Q (a queue pair the guest does not use gets no
 * packets). */
int tap_queue_attach(struct tap *t, unsigned q, bool on);

#endif
