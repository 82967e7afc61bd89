// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tap interfaces for virtio-net (see tap.h). What the kernel tells about an
 * interface comes from sysfs under the root prefix (tun_flags, bridge/,
 * master); changes are the tun and bridge ioctls.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/process.h"
#include "core/util/sysfs.h"
#include "core/virtio/tap.h"

/* virtio 1.x's header: struct virtio_net_hdr_v1, num_buffers included. */
#define TAP_VNET_HDR_LEN 12

static bool iface_exists(const char *root, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/sys/class/net/%s", root, name);
	return stat(path, &st) == 0;
}

/* The tun flags of interface NAME: -ENOENT when it is not a tun/tap. */
static int tun_flags(const char *root, const char *name, uint64_t *flags)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", name);
	return sysfs_read_u64(root, path, flags);
}

static bool is_bridge(const char *root, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/sys/class/net/%s/bridge", root, name);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int tap_check(const struct tap_request *req, char *why, size_t len)
{
	const char *root = req->root ? req->root : "";
	uint64_t flags;
	char comm[64], info[32];
	pid_t pid;

	if (req->bridge && !iface_exists(root, req->bridge)) {
		snprintf(why, len, "bridge '%s' does not exist (ip link add %s type bridge)",
			 req->bridge, req->bridge);
		return -ENOENT;
	}
	if (req->bridge && !is_bridge(root, req->bridge)) {
		snprintf(why, len, "'%s' is not a bridge", req->bridge);
		return -EINVAL;
	}
	if (!req->name || !iface_exists(root, req->name))
		return 0;
	if (tun_flags(root, req->name, &flags) < 0 || !(flags & IFF_TAP)) {
		snprintf(why, len, "'%s' exists and is not a tap device", req->name);
		return -EEXIST;
	}
	snprintf(info, sizeof(info), "iff:\t%s", req->name);
	pid = process_find_opener_info(root, "/dev/net/tun", info, 0, comm, sizeof(comm));
	if (pid > 0) {
		snprintf(why, len, "tap '%s' is in use by %s (pid %d)", req->name, comm, (int)pid);
		return -EBUSY;
	}
	if (req->bridge) {
		/* We enslave only what we create: a tap of the host's that kill -9
		 * left on a bridge would stay there. */
		snprintf(why, len, "tap '%s' exists: partvm puts on a bridge only a tap it creates; "
			 "drop 'bridge' or add the tap yourself (ip link set %s master %s)",
			 req->name, req->name, req->bridge);
		return -EEXIST;
	}
	if (req->nqueues > 1 && !(flags & IFF_MULTI_QUEUE)) {
		snprintf(why, len, "tap '%s' has one queue and %u were asked for: queues = 1, or "
			 "create it with multi_queue", req->name, req->nqueues);
		return -EINVAL;
	}
	return 0;
}

static int open_queue(const char *name, bool multi, char *got)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	_cleanup_close_ int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	int hdr = TAP_VNET_HDR_LEN, r;

	if (fd < 0)
		return -errno;
	if (multi)
		ifr.ifr_flags |= IFF_MULTI_QUEUE;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0)
		return -errno;
	if (got)
		snprintf(got, IFNAMSIZ, "%s", ifr.ifr_name);
	r = fd;
	fd = -1;
	return r;
}

/* IOCTL on an interface by name, through any socket. */
static int if_ioctl(unsigned long req, struct ifreq *ifr)
{
	_cleanup_close_ int s = socket(AF_LOCAL, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0 || ioctl(s, req, ifr) < 0)
		return -errno;
	return 0;
}

static int set_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int r;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	r = if_ioctl(SIOCGIFFLAGS, &ifr);
	if (r < 0)
		return r;
	ifr.ifr_flags |= IFF_UP;
	return if_ioctl(SIOCSIFFLAGS, &ifr);
}

static int enslave(const char *bridge, const char *name)
{
	struct ifreq ifr = { 0 };
	unsigned idx = if_nametoindex(name);

	if (!idx)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", bridge);
	ifr.ifr_ifindex = (int)idx;
	return if_ioctl(SIOCBRADDIF, &ifr);
}

int tap_open(struct tap *t, const struct tap_request *req, char *why, size_t len)
{
	const char *root = req->root ? req->root : "";
	bool multi = req->nqueues > 1;
	int r;

	memset(t, 0, sizeof(*t));
	r = tap_check(req, why, len);
	if (r < 0)
		return r;
	t->created = !req->name || !iface_exists(root, req->name);
	t->fds = malloc(req->nqueues * sizeof(int));
	if (!t->fds)
		return -ENOMEM;
	for (unsigned q = 0; q < req->nqueues; q++)
		t->fds[q] = -1;
	t->nqueues = req->nqueues;
	r = open_queue(req->name ? req->name : TAP_NAME_TEMPLATE, multi, t->name);
	if (r < 0) {
		snprintf(why, len, "cannot %s tap '%s': %s", t->created ? "create" : "open",
			 req->name ? req->name : TAP_NAME_TEMPLATE, strerror(-r));
		goto fail;
	}
	t->fds[0] = r;
	for (unsigned q = 1; q < req->nqueues; q++) {
		r = open_queue(t->name, true, NULL);
		if (r < 0) {
			snprintf(why, len, "tap '%s': cannot open its queue %u: %s", t->name, q,
				 strerror(-r));
			goto fail;
		}
		t->fds[q] = r;
	}
	if (t->created && req->owner != (uid_t)-1 && ioctl(t->fds[0], TUNSETOWNER, req->owner) < 0) {
		r = -errno;
		snprintf(why, len, "tap '%s': cannot give it to uid %u: %s", t->name,
			 (unsigned)req->owner, strerror(-r));
		goto fail;
	}
	if (req->bridge) {
		r = enslave(req->bridge, t->name);
		if (r < 0) {
			snprintf(why, len, "cannot add tap '%s' to bridge '%s': %s", t->name, req->bridge,
				 strerror(-r));
			goto fail;
		}
		snprintf(t->bridge, sizeof(t->bridge), "%s", req->bridge);
	}
	if (t->created) {
		r = set_up(t->name);
		if (r < 0) {
			snprintf(why, len, "cannot bring tap '%s' up: %s", t->name, strerror(-r));
			goto fail;
		}
	}
	return 0;
fail:
	/* Closing the fds deletes a tap we created, off the bridge with it. */
	tap_close(t);
	return r;
}

void tap_close(struct tap *t)
{
	for (unsigned q = 0; t->fds && q < t->nqueues; q++)
		if (t->fds[q] >= 0)
			close(t->fds[q]);
	free(t->fds);
	t->fds = NULL;
	t->nqueues = 0;
}

int tap_set_offload(struct tap *t, unsigned tun_flags)
{
	/* The offloads are the device's: any one queue's fd sets them. */
	if (!t->nqueues)
		return -EBADF;
	return ioctl(t->fds[0], TUNSETOFFLOAD, tun_flags) < 0 ? -errno : 0;
}

int tap_queue_attach(struct tap *t, unsigned q, bool on)
{
	struct ifreq ifr = { .ifr_flags = on ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE };

	if (q >= t->nqueues)
		return -EINVAL;
	if (t->nqueues == 1)
		return 0;   /* a single-queue tap has nothing to steer */
	if (ioctl(t->fds[q], TUNSETQUEUE, &ifr) < 0)
		return errno == EINVAL ? 0 : -errno;   /* already so */
	return 0;
}
