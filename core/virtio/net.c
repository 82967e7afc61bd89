// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-net (virtio 1.2, 5.1) over a tap interface.
 *
 *   [net]
 *   tap = NAME          # an existing tap, or the name of the one to create
 *   bridge = BRIDGE     # create a tap and put it on this bridge
 *   mac = 02:..         # default: derived from the partition's name
 *   queues = N          # queue pairs (default: one a vCPU, at most 16)
 *   vhost = auto        # yes | no | auto: the kernel's vhost-net data path
 *
 * or `--net tap=NAME|bridge=BR[,mac=..][,queues=N][,vhost=..]`.
 *
 * The data path is the kernel's vhost-net when /dev/vhost-net is there: it
 * reads the guest's rings on the queue doorbells (ioeventfds) and raises
 * the queues' MSI-X eventfds (irqfds), so no partvm thread sees a packet.
 * Without it (or with MSI-X off in the guest), a thread a queue moves the
 * packets between the rings and the tap. Either way the tap carries the
 * 12-byte virtio-net header, so checksum offload and TSO pass through:
 * what the guest accepts (GUEST_CSUM, GUEST_TSO4/6) is what the tap may
 * give it (TUNSETOFFLOAD). The control queue (queue pairs, the only
 * command offered) runs on its own thread in partvm.
 */
#include <endian.h>
#include <errno.h>
#include <json-c/json.h>
#include <linux/if_tun.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <netinet/ether.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/log.h"
#include "core/util/sysfs.h"
#include "core/virtio/internal.h"
#include "core/virtio/tap.h"
#include "core/virtio/vhost.h"
#include "core/virtio/virtio.h"
#include "core/vm/config.h"
#include "core/vm/device.h"
#include "core/vm/vm.h"

#define NET_QUEUE_SIZE 256
#define NET_MAX_PAIRS 16
#define NET_CLASS 0x020000            /* network controller, Ethernet */
#define NET_HDR_LEN 12                /* struct virtio_net_hdr_v1 */
/* The largest frame a tap gives with TSO (64 KiB of IP) plus headers. */
#define NET_RX_MAX (NET_HDR_LEN + 65536 + 64)
#define NET_IOV_POOL 1024             /* IOV_MAX: one writev takes them all */
#define NET_VHOST_DEV "/dev/vhost-net"

enum vhost_mode { VHOST_AUTO, VHOST_YES, VHOST_NO };

struct net_conf {
	char *tap;
	char *bridge;
	uint8_t mac[6];
	bool mac_set;
	unsigned queues;              /* 0: one a vCPU */
	enum vhost_mode vhost;
	int line;
};

struct net_pair {
	struct net *net;
	unsigned index;
	struct virtio_worker rx, tx;  /* userspace data path */
	int vhost_fd;                 /* -1: no vhost for this device */
	bool active;                  /* the guest uses it (VQ_PAIRS_SET) */
	bool paused;                  /* userspace RX: not active, the tap queue detached */
	uint8_t *pkt;                 /* a packet read from the tap, not yet delivered */
	size_t pkt_len;               /* 0: none */
	struct virtq_req held[NET_QUEUE_SIZE];   /* RX requests taken, not filled yet */
	unsigned nheld;
	uint64_t held_room;
	struct iovec rx_iov[NET_IOV_POOL];
	unsigned rx_iov_used;
	struct iovec tx_iov[NET_IOV_POOL];
};

struct net {
	struct virtio_dev vdev;       /* first: device.c's hooks use it */
	struct virtio_ops ops;
	const struct net_conf *conf;
	struct tap tap;
	uint8_t mac[6];
	unsigned npairs;
	struct net_pair *pairs;
	struct virtio_worker ctrl;
	struct iovec ctrl_iov[16];
	bool vhost;                   /* vhost fds are open */
	bool vhost_running;           /* this start runs on vhost */
	unsigned usable;              /* pairs the driver may use: all with MQ, else 1 */
	uint64_t rx_packets, tx_packets, rx_dropped, tx_dropped;   /* userspace path */
	char name[48];
};

/* ---- Configuration ------------------------------------------------------- */

static int set_ifname(char **field, const char *v, const char **why)
{
	if (!*v || strlen(v) >= IFNAMSIZ || strpbrk(v, "/: \t") || !strcmp(v, ".") ||
	    !strcmp(v, "..")) {
		*why = "not an interface name (1 to 15 characters, no '/', ':' or spaces)";
		return -EINVAL;
	}
	return config_set_string(field, v);
}

static int set_mac(struct net_conf *c, const char *v, const char **why)
{
	struct ether_addr a;

	if (!ether_aton_r(v, &a)) {
		*why = "not a MAC address (six hex bytes: 02:00:00:00:00:01)";
		return -EINVAL;
	}
	if (a.ether_addr_octet[0] & 1) {
		*why = "a multicast address (the first byte's lowest bit is set)";
		return -EINVAL;
	}
	memcpy(c->mac, a.ether_addr_octet, 6);
	c->mac_set = true;
	return 0;
}

static int set_queues(struct net_conf *c, const char *v, const char **why)
{
	unsigned long n;

	if (config_parse_uint(v, 1, NET_MAX_PAIRS, &n) < 0) {
		*why = "must be a number of queue pairs from 1 to 16";
		return -EINVAL;
	}
	c->queues = (unsigned)n;
	return 0;
}

static int set_vhost(struct net_conf *c, const char *v, const char **why)
{
	bool b;

	if (!strcmp(v, "auto")) {
		c->vhost = VHOST_AUTO;
		return 0;
	}
	if (config_parse_bool(v, &b) < 0) {
		*why = "expected yes, no or auto";
		return -EINVAL;
	}
	c->vhost = b ? VHOST_YES : VHOST_NO;
	return 0;
}

static int set_key(void *conf, const char *key, const char *v, const char **why)
{
	struct net_conf *c = conf;

	if (!strcmp(key, "tap"))
		return set_ifname(&c->tap, v, why);
	if (!strcmp(key, "bridge"))
		return set_ifname(&c->bridge, v, why);
	if (!strcmp(key, "mac"))
		return set_mac(c, v, why);
	if (!strcmp(key, "queues"))
		return set_queues(c, v, why);
	if (!strcmp(key, "vhost"))
		return set_vhost(c, v, why);
	*why = "unknown option (known: tap=NAME, bridge=BRIDGE, mac=MAC, queues=N, "
	       "vhost=yes|no|auto)";
	return -EINVAL;
}

#define KEY(k)                                                                              \
	static int key_##k(struct config_ctx *ctx, void *conf, const char *v, const char **why) \
	{                                                                                   \
		struct net_conf *c = conf;                                                  \
		if (!c->line)                                                               \
			c->line = ctx->line;                                                \
		return set_key(c, #k, v, why);                                              \
	}
KEY(tap)
KEY(bridge)
KEY(mac)
KEY(queues)
KEY(vhost)

static const struct config_key keys[] = {
	{ "tap", key_tap },
	{ "bridge", key_bridge },
	{ "mac", key_mac },
	{ "queues", key_queues },
	{ "vhost", key_vhost },
	{ NULL, NULL },
};

/* --net tap=NAME|bridge=BR[,mac=MAC][,queues=N][,vhost=yes|no|auto] */
static int conf_option(void *conf, const char *arg, const char **why)
{
	return config_parse_items(arg, set_key, conf, "expected KEY=VALUE items (tap=NAME, "
				  "bridge=BRIDGE, mac=MAC, queues=N, vhost=yes|no|auto)", why);
}

static void conf_free(void *conf)
{
	struct net_conf *c = conf;

	free(c->tap);
	free(c->bridge);
}

static int conf_check(const struct device_conf *dc, const char *file, struct config_error *err)
{
	const struct net_conf *c = dc->conf;

	if (c->tap || c->bridge)
		return 0;
	snprintf(err->msg, sizeof(err->msg), "%s:%d: [net] needs 'tap = NAME' or 'bridge = BRIDGE'",
		 file, dc->line);
	return -EINVAL;
}

/* Two [net]s of one partition on one tap would share its queues. */
static int conf_validate(const struct device_conf *dc, const struct vm_config *cfg,
			 struct config_error *err)
{
	const struct net_conf *c = dc->conf;
	char at[300];

	for (const struct device_conf *o = cfg->devices; c->tap && o < dc; o++) {
		const struct net_conf *oc = o->conf;

		if (o->type == dc->type && oc->tap && !strcmp(oc->tap, c->tap)) {
			snprintf(err->msg, sizeof(err->msg), "%snet: tap '%s' is already this "
				 "partition's (line %d)", config_where(cfg, device_conf_line(dc, c->line), at, sizeof(at)),
				 c->tap, device_conf_line(o, oc->line));
			return -EEXIST;
		}
	}
	return 0;
}

static unsigned pairs_of(const struct net_conf *c, const struct vm_config *cfg)
{
	unsigned cpus = cfg->cpus ? cfg->cpus : 1;

	return c->queues ? c->queues : cpus < NET_MAX_PAIRS ? cpus : NET_MAX_PAIRS;
}

static struct tap_request request_of(const struct net_conf *c, const struct vm_config *cfg)
{
	return (struct tap_request){
		.name = c->tap,
		.bridge = c->bridge,
		.nqueues = pairs_of(c, cfg),
		.owner = config_other_user(cfg) ? cfg->user_uid : (uid_t)-1,
		.root = partvm_sysfs_root(),
	};
}

/* Before anything is taken: the tap and bridge as asked, vhost if required. */
static int preflight(const struct device_conf *dc, const struct vm_config *cfg,
		     struct config_error *err)
{
	const struct net_conf *c = dc->conf;
	struct tap_request req = request_of(c, cfg);
	char why[256], at[300];
	int r;

	r = tap_check(&req, why, sizeof(why));
	if (r < 0) {
		snprintf(err->msg, sizeof(err->msg), "%snet: %s",
			 config_where(cfg, device_conf_line(dc, c->line), at, sizeof(at)), why);
		return r;
	}
	if (c->vhost == VHOST_YES && access(NET_VHOST_DEV, R_OK | W_OK) < 0) {
		snprintf(err->msg, sizeof(err->msg), "%snet: vhost = yes, but %s: %s (modprobe "
			 "vhost_net, or vhost = auto)", config_where(cfg, device_conf_line(dc, c->line), at, sizeof(at)),
			 NET_VHOST_DEV, strerror(errno));
		return -ENODEV;
	}
	return 0;
}

/* A MAC that stays the partition's across restarts: a hash of its name and
 * the device's index, locally administered, unicast. */
static void derive_mac(const char *name, unsigned index, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ULL;   /* FNV-1a */
	char key[160];
	int n = snprintf(key, sizeof(key), "%s/net%u", name ? name : "partvm", index);

	for (int i = 0; i < n && i < (int)sizeof(key); i++)
		h = (h ^ (uint8_t)key[i]) * 0x100000001b3ULL;
	mac[0] = 0x02;
	mac[1] = 0x70;   /* 'p' */
	for (int i = 2; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
}

/* ---- The userspace data path --------------------------------------------- */

static struct virtqueue *rxq(struct net_pair *p)
{
	return &p->net->vdev.vqs[2 * p->index];
}

static struct virtqueue *txq(struct net_pair *p)
{
	return &p->net->vdev.vqs[2 * p->index + 1];
}

static int tap_fd(struct net_pair *p)
{
	return p->net->tap.fds[p->index];
}

/* Take RX requests until the pending packet fits (one request without
 * MRG_RXBUF). 1: it fits; 0: the guest has no more buffers; <0: broken. */
static int rx_gather(struct net_pair *p, struct virtqueue *vq, bool mrg)
{
	while (p->nheld < NET_QUEUE_SIZE && (p->nheld == 0 || (mrg && p->held_room < p->pkt_len))) {
		struct virtq_req *h = &p->held[p->nheld];
		int r = virtq_pop(vq, h, p->rx_iov + p->rx_iov_used, NET_IOV_POOL - p->rx_iov_used);

		if (r <= 0)
			return r;
		if (h->nout)
			virtio_warn(&p->net->vdev, "queue %u: a receive buffer the device may only read",
				    vq->index);
		p->rx_iov_used += h->nout + h->nin;
		p->held_room += h->in_len;
		p->nheld++;
		if (p->rx_iov_used == NET_IOV_POOL)
			break;
	}
	return 1;
}

/* Give the held requests back: the packet in them, or (DROP) nothing. */
static void rx_complete(struct net_pair *p, struct virtqueue *vq, bool drop)
{
	size_t off = 0;
	unsigned used = 0;

	if (drop) {
		/* Only a guest whose buffers cannot hold a packet even all
		 * together gets here: give them back empty, or they are lost. */
		for (; used < p->nheld; used++)
			virtq_push(vq, p->held[used].head, 0);
	} else {
		uint16_t nbufs = 0;
		size_t room = 0;

		/* num_buffers goes in the header before the first buffer is
		 * published: once it is in the used ring the buffer is the
		 * driver's, which may read the header at once and reuse the
		 * memory (2.7.8.2); a write after that lands in whatever the
		 * guest put there since. */
		while (nbufs < p->nheld && room < p->pkt_len)
			room += p->held[nbufs++].in_len;
		memcpy(p->pkt + 10, &(uint16_t){ htole16(nbufs) }, 2);
		for (used = 0; used < nbufs; used++) {
			const struct virtq_req *req = &p->held[used];
			size_t n = virtq_req_write(req, 0, p->pkt + off, p->pkt_len - off);

			virtq_push(vq, req->head, (uint32_t)n);
			off += n;
		}
		__atomic_add_fetch(&p->net->rx_packets, 1, __ATOMIC_RELAXED);
	}
	/* Requests left over stay held, first in line, for the next packet. */
	memmove(p->held, p->held + used, (p->nheld - used) * sizeof(p->held[0]));
	p->nheld -= used;
	p->held_room = 0;
	p->rx_iov_used = 0;
	for (unsigned i = 0; i < p->nheld; i++) {
		p->held_room += p->held[i].in_len;
		p->rx_iov_used = (unsigned)(p->held[i].iov - p->rx_iov) + p->held[i].nout +
				 p->held[i].nin;
	}
	p->pkt_len = 0;
}

static void rx_handle(struct virtqueue *vq, void *opaque, bool kicked, bool readable)
{
	struct net_pair *p = opaque;
	bool mrg = virtio_has_feature(&p->net->vdev, VIRTIO_NET_F_MRG_RXBUF);
	bool pushed = false;

	if (__atomic_load_n(&p->paused, __ATOMIC_ACQUIRE)) {
		p->rx.extra_off = true;
		return;
	}
	p->rx.extra_off = false;
	for (unsigned budget = 0; budget < 256; budget++) {
		int r;

		if (!p->pkt_len) {
			ssize_t n = read(tap_fd(p), p->pkt, NET_RX_MAX);

			if (n < 0) {
				/* EAGAIN: the tap's queue is empty. Anything else
				 * (a detached queue) would fire the poll at once
				 * again: wait for the next kick instead. */
				if (errno != EAGAIN)
					p->rx.extra_off = true;
				break;
			}
			if (n < NET_HDR_LEN)
				continue;
			p->pkt_len = (size_t)n;
		}
		r = rx_gather(p, vq, mrg);
		if (r < 0) {
			/* Broken until the driver resets it: the tap may stay
			 * readable, but nothing can be delivered. */
			virtio_set_broken(&p->net->vdev, vq, vq->broken_why);
			p->rx.extra_off = true;
			break;
		}
		/* 1: it fits, or our pools are full and it never will. */
		if (r == 0) {
			/* Out of buffers: wait for the guest's kick, not the tap. */
			if (virtq_enable_kicks(vq))
				continue;
			p->rx.extra_off = true;
			break;
		}
		if (p->held_room < p->pkt_len) {
			/* Buffers too small for it (no MRG_RXBUF and no big
			 * buffers): the packet is dropped, as a NIC would. */
			p->pkt_len = 0;
			__atomic_add_fetch(&p->net->rx_dropped, 1, __ATOMIC_RELAXED);
			if (p->nheld == NET_QUEUE_SIZE || p->rx_iov_used == NET_IOV_POOL)
				rx_complete(p, vq, true);
			continue;
		}
		rx_complete(p, vq, false);
		pushed = true;
	}
	if (pushed && virtq_should_notify(vq))
		virtio_notify_queue(vq);
}

static void tx_handle(struct virtqueue *vq, void *opaque, bool kicked, bool extra)
{
	struct net_pair *p = opaque;
	bool pushed = false;

	do {
		for (;;) {
			struct virtq_req req;
			int r = virtq_pop(vq, &req, p->tx_iov, NET_IOV_POOL);

			if (r < 0) {
				virtio_set_broken(&p->net->vdev, vq, vq->broken_why);
				goto out;
			}
			if (r == 0)
				break;
			if (req.nin || req.out_len < NET_HDR_LEN) {
				virtio_warn(&p->net->vdev, "queue %u: a packet of %llu bytes with %u "
					    "writable buffers; dropped", vq->index,
					    (unsigned long long)req.out_len, req.nin);
				__atomic_add_fetch(&p->net->tx_dropped, 1, __ATOMIC_RELAXED);
			} else if (writev(tap_fd(p), req.iov, (int)req.nout) < 0) {
				/* The tap refused it (malformed header, too big, no
				 * room): a NIC drops such a frame too. */
				__atomic_add_fetch(&p->net->tx_dropped, 1, __ATOMIC_RELAXED);
			} else {
				__atomic_add_fetch(&p->net->tx_packets, 1, __ATOMIC_RELAXED);
			}
			virtq_push(vq, req.head, 0);
			pushed = true;
		}
	} while (virtq_enable_kicks(vq));
out:
	if (pushed && virtq_should_notify(vq))
		virtio_notify_queue(vq);
}

/* ---- Queue pairs in use -------------------------------------------------- */

/* Both of pair P's rings on vhost-net move packets to and from FD (-1:
 * none; the kernel then no longer touches them). */
static int pair_backend(struct net_pair *p, int fd)
{
	int r = vhost_net_set_backend(p->vhost_fd, 0, fd);

	if (r == 0 || fd < 0) {
		int r2 = vhost_net_set_backend(p->vhost_fd, 1, fd);

		r = r ? r : r2;
	}
	return r;
}

/* Pair P carries traffic or not: its tap queue attached, and its rings
 * backed by the tap in vhost or its RX thread reading it. */
static int pair_activate(struct net *n, struct net_pair *p, bool on)
{
	int r = 0;

	if (p->active == on)
		return 0;
	if (on) {
		r = tap_queue_attach(&n->tap, p->index, true);
		if (r == 0 && n->vhost_running)
			r = pair_backend(p, tap_fd(p));
		if (r < 0)
			return r;
	} else if (n->vhost_running) {
		(void)pair_backend(p, -1);
	}
	if (!n->vhost_running) {
		__atomic_store_n(&p->paused, !on, __ATOMIC_RELEASE);
		/* Its RX thread looks at the flag on the next wakeup. */
		if (p->rx.running)
			(void)!write(rxq(p)->kick_fd, &(uint64_t){ 1 }, sizeof(uint64_t));
	}
	if (!on)
		r = tap_queue_attach(&n->tap, p->index, false);
	p->active = on;
	return r;
}

static int set_pairs(struct net *n, unsigned want)
{
	int r = 0;

	/* The ones that stay first, so traffic always has somewhere to go. */
	for (unsigned i = 0; i < want && r == 0; i++)
		r = pair_activate(n, &n->pairs[i], true);
	for (unsigned i = want; i < n->usable && r == 0; i++)
		r = pair_activate(n, &n->pairs[i], false);
	return r;
}

/* ---- The control queue ---------------------------------------------------- */

static uint8_t ctrl_command(struct net *n, const struct virtq_req *req)
{
	struct virtio_net_ctrl_hdr hdr;
	uint16_t pairs;

	if (virtq_req_read(req, 0, &hdr, sizeof(hdr)) < sizeof(hdr))
		return VIRTIO_NET_ERR;
	if (hdr.class == VIRTIO_NET_CTRL_MQ && hdr.cmd == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET &&
	    virtio_has_feature(&n->vdev, VIRTIO_NET_F_MQ)) {
		if (virtq_req_read(req, sizeof(hdr), &pairs, 2) < 2)
			return VIRTIO_NET_ERR;
		pairs = le16toh(pairs);
		if (pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || pairs > n->usable)
			return VIRTIO_NET_ERR;
		if (set_pairs(n, pairs) < 0) {
			virtio_warn(&n->vdev, "cannot switch to %u queue pairs", pairs);
			return VIRTIO_NET_ERR;
		}
		return VIRTIO_NET_OK;
	}
	return VIRTIO_NET_ERR;   /* nothing else is offered */
}

static void ctrl_handle(struct virtqueue *vq, void *opaque, bool kicked, bool extra)
{
	struct net *n = opaque;
	bool pushed = false;

	do {
		for (;;) {
			struct virtq_req req;
			uint8_t ack;
			int r = virtq_pop(vq, &req, n->ctrl_iov, 16);

			if (r < 0) {
				virtio_set_broken(&n->vdev, vq, vq->broken_why);
				goto out;
			}
			if (r == 0)
				break;
			if (req.in_len < 1) {
				virtio_warn(&n->vdev, "a control command with no room for its ack");
				virtq_push(vq, req.head, 0);
			} else {
				ack = ctrl_command(n, &req);
				virtq_req_write(&req, req.in_len - 1, &ack, 1);
				virtq_push(vq, req.head, 1);
			}
			pushed = true;
		}
	} while (virtq_enable_kicks(vq));
out:
	if (pushed && virtq_should_notify(vq))
		virtio_notify_queue(vq);
}

/* ---- The transport's callbacks ------------------------------------------- */

static void config_read(struct virtio_dev *vdev, unsigned off, void *buf, unsigned len)
{
	struct net *n = vdev->opaque;
	struct virtio_net_config c = {
		.status = htole16(VIRTIO_NET_S_LINK_UP),
		.max_virtqueue_pairs = htole16((uint16_t)n->npairs),
		.mtu = htole16(1500),
	};

	memcpy(c.mac, n->mac, 6);
	memcpy(buf, (uint8_t *)&c + off, len);
}

static void features_ok(struct virtio_dev *vdev)
{
	struct net *n = vdev->opaque;
	unsigned off = 0;
	int r;

	if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_CSUM)) {
		off |= TUN_F_CSUM;
		if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO4))
			off |= TUN_F_TSO4;
		if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO6))
			off |= TUN_F_TSO6;
		if ((off & (TUN_F_TSO4 | TUN_F_TSO6)) && virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_ECN))
			off |= TUN_F_TSO_ECN;
	}
	r = tap_set_offload(&n->tap, off);
	if (r < 0)
		virtio_warn(vdev, "tap '%s': cannot set its offloads: %s", n->tap.name, strerror(-r));
}

static int start_vhost(struct net *n)
{
	struct virtio_dev *vdev = &n->vdev;
	int r;

	for (unsigned i = 0; i < n->usable; i++) {
		struct net_pair *p = &n->pairs[i];

		if (!rxq(p)->enabled || !txq(p)->enabled)
			continue;
		r = vhost_setup(p->vhost_fd, vdev->driver_features, &vdev->vm->mem);
		if (r == 0)
			r = vhost_vring_start(p->vhost_fd, 0, rxq(p), virtio_queue_call_fd(rxq(p)));
		if (r == 0)
			r = vhost_vring_start(p->vhost_fd, 1, txq(p), virtio_queue_call_fd(txq(p)));
		if (r < 0) {
			virtio_warn(vdev, "queue pair %u: vhost-net refused it: %s", i, strerror(-r));
			return r;
		}
	}
	return 0;
}

static int start_userspace(struct net *n)
{
	int r;

	for (unsigned i = 0; i < n->usable; i++) {
		struct net_pair *p = &n->pairs[i];
		char name[24];

		if (!rxq(p)->enabled || !txq(p)->enabled)
			continue;
		p->paused = true;   /* until set_pairs() */
		snprintf(name, sizeof(name), "net-rx%u", i);
		r = virtio_worker_start(&p->rx, rxq(p), tap_fd(p), rx_handle, p, name);
		if (r < 0)
			return r;
		snprintf(name, sizeof(name), "net-tx%u", i);
		r = virtio_worker_start(&p->tx, txq(p), -1, tx_handle, p, name);
		if (r < 0)
			return r;
	}
	return 0;
}

static void stop_pairs(struct net *n)
{
	for (unsigned i = 0; i < n->npairs; i++) {
		struct net_pair *p = &n->pairs[i];

		if (n->vhost_running)
			(void)pair_backend(p, -1);
		virtio_worker_stop(&p->rx);
		virtio_worker_stop(&p->tx);
		/* Requests the guest gave us are gone with the reset. */
		p->nheld = 0;
		p->held_room = 0;
		p->rx_iov_used = 0;
		p->pkt_len = 0;
		p->paused = false;
		p->active = false;
		(void)tap_queue_attach(&n->tap, i, true);
	}
	n->vhost_running = false;
}

/* Before a start: no pair in use, every tap queue but the first detached. */
static void pairs_idle(struct net *n)
{
	for (unsigned i = 0; i < n->npairs; i++) {
		n->pairs[i].active = false;
		n->pairs[i].paused = true;
		if (i)
			(void)tap_queue_attach(&n->tap, i, false);
	}
}

static int start(struct virtio_dev *vdev)
{
	struct net *n = vdev->opaque;
	bool mq = virtio_has_feature(vdev, VIRTIO_NET_F_MQ);
	/* The control queue follows the pairs the driver may use (5.1.2). */
	struct virtqueue *cq = &vdev->vqs[mq ? 2 * n->npairs : 2];
	int r;

	n->usable = mq ? n->npairs : 1;
	pairs_idle(n);
	n->vhost_running = n->vhost && virtio_msix_enabled(vdev);
	if (n->vhost && !n->vhost_running)
		virtio_warn(vdev, "the driver uses no MSI-X: packets go through partvm, not vhost-net");
	r = n->vhost_running ? start_vhost(n) : start_userspace(n);
	if (r < 0 && n->vhost_running) {
		virtio_warn(vdev, "packets go through partvm instead");
		stop_pairs(n);
		pairs_idle(n);
		r = start_userspace(n);
	}
	if (r < 0)
		return r;
	/* The guest starts on pair 0 alone, more when it asks (5.1.6.5.5). */
	r = pair_activate(n, &n->pairs[0], true);
	if (r == 0 && virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_VQ) && cq->enabled)
		r = virtio_worker_start(&n->ctrl, cq, -1, ctrl_handle, n, "net-ctrl");
	return r;
}

static void stop(struct virtio_dev *vdev)
{
	struct net *n = vdev->opaque;

	virtio_worker_stop(&n->ctrl);
	stop_pairs(n);
}

/* ---- The device ---------------------------------------------------------- */

static int open_vhost(struct net *n, const struct net_conf *c, const char *name)
{
	for (unsigned i = 0; i < n->npairs; i++) {
		int fd = vhost_open(NET_VHOST_DEV);

		if (fd < 0 && c->vhost == VHOST_AUTO && i == 0) {
			log_notice("%s: no vhost-net (%s: %s); packets go through partvm's threads",
				   name, NET_VHOST_DEV, strerror(-fd));
			return 0;
		}
		if (fd < 0)
			return log_error_errno(fd, "%s: %s: %m", name, NET_VHOST_DEV);
		n->pairs[i].vhost_fd = fd;
	}
	n->vhost = true;
	return 0;
}

static int create(struct device *d, struct loop *loop)
{
	const struct net_conf *c = d->dc->conf;
	const struct vm_config *cfg = d->vm->cfg;
	struct tap_request req = request_of(c, cfg);
	struct net *n = calloc(1, sizeof(*n));
	uint64_t features;
	char why[256];
	int r;

	if (!n)
		return -ENOMEM;
	d->priv = n;
	n->conf = c;
	snprintf(n->name, sizeof(n->name), "%s", d->name);
	n->npairs = req.nqueues;
	n->pairs = calloc(n->npairs, sizeof(*n->pairs));
	if (!n->pairs)
		return -ENOMEM;
	for (unsigned i = 0; i < n->npairs; i++) {
		n->pairs[i].net = n;
		n->pairs[i].index = i;
		n->pairs[i].vhost_fd = -1;
		n->pairs[i].pkt = malloc(NET_RX_MAX);
		if (!n->pairs[i].pkt)
			return -ENOMEM;
	}
	if (c->mac_set)
		memcpy(n->mac, c->mac, 6);
	else
		derive_mac(cfg->name, d->index, n->mac);
	r = tap_open(&n->tap, &req, why, sizeof(why));
	if (r < 0) {
		d->vm->input_refused = r == -EEXIST || r == -EBUSY || r == -ENOENT;
		return log_error_errno(r, "%s: %s", d->name, why);
	}
	if (c->vhost != VHOST_NO) {
		r = open_vhost(n, c, d->name);
		if (r < 0)
			return r;
	}
	features = (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
		   (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) |
		   (1ULL << VIRTIO_NET_F_GUEST_ECN) | (1ULL << VIRTIO_NET_F_HOST_TSO4) |
		   (1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_NET_F_HOST_ECN) |
		   (1ULL << VIRTIO_NET_F_MRG_RXBUF) | (1ULL << VIRTIO_NET_F_STATUS) |
		   (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_CTRL_VQ);
	if (n->npairs > 1)
		features |= 1ULL << VIRTIO_NET_F_MQ;
	n->ops = (struct virtio_ops){
		.device_id = VIRTIO_ID_NET,
		.class_code = NET_CLASS,
		.features = features,
		.nqueues = 2 * n->npairs + 1,
		.queue_size = NET_QUEUE_SIZE,
		.config_size = offsetof(struct virtio_net_config, mtu) + 2,
		.config_read = config_read,
		.features_ok = features_ok,
		.start = start,
		.stop = stop,
	};
	r = virtio_pci_create(&n->vdev, d->vm, &n->ops, n, n->name);
	if (r < 0)
		return log_error_errno(r, "%s: cannot create its PCI device: %m", d->name);
	log_info("%s: tap '%s'%s%s%s, %02x:%02x:%02x:%02x:%02x:%02x, %u queue pair%s, %s, guest "
		 "slot %02x.0", d->name, n->tap.name, n->tap.created ? " (created)" : "",
		 n->tap.bridge[0] ? " on bridge " : "", n->tap.bridge, n->mac[0], n->mac[1], n->mac[2],
		 n->mac[3], n->mac[4], n->mac[5], n->npairs, n->npairs == 1 ? "" : "s",
		 n->vhost ? "vhost-net" : "userspace", n->vdev.pci.slot);
	return 0;
}

static void destroy(struct device *d)
{
	struct net *n = d->priv;

	if (!n)
		return;
	if (n->vdev.ops)
		virtio_pci_free(&n->vdev);
	for (unsigned i = 0; n->pairs && i < n->npairs; i++) {
		if (n->pairs[i].vhost_fd >= 0)
			close(n->pairs[i].vhost_fd);
		free(n->pairs[i].pkt);
	}
	free(n->pairs);
	/* A tap we created goes with its last fd. */
	tap_close(&n->tap);
	free(n);
}

static void status(struct device *d, struct json_object *st)
{
	struct net *n = d->priv;
	struct json_object *o = virtio_device_status(d, st);
	char mac[18];

	if (!o)
		return;
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1], n->mac[2],
		 n->mac[3], n->mac[4], n->mac[5]);
	json_object_object_add(o, "tap", json_object_new_string(n->tap.name));
	json_object_object_add(o, "tap-created", json_object_new_boolean(n->tap.created));
	json_object_object_add(o, "bridge", n->tap.bridge[0] ? json_object_new_string(n->tap.bridge)
							      : NULL);
	json_object_object_add(o, "mac", json_object_new_string(mac));
	json_object_object_add(o, "queue-pairs", json_object_new_int((int)n->npairs));
	json_object_object_add(o, "data-path", json_object_new_string(
		n->vdev.started ? (n->vhost_running ? "vhost-net" : "userspace")
				: (n->vhost ? "vhost-net" : "userspace")));
	if (!n->vhost_running) {
		json_object_object_add(o, "rx-packets", json_object_new_int64(
			(int64_t)__atomic_load_n(&n->rx_packets, __ATOMIC_RELAXED)));
		json_object_object_add(o, "tx-packets", json_object_new_int64(
			(int64_t)__atomic_load_n(&n->tx_packets, __ATOMIC_RELAXED)));
		json_object_object_add(o, "rx-dropped", json_object_new_int64(
			(int64_t)__atomic_load_n(&n->rx_dropped, __ATOMIC_RELAXED)));
		json_object_object_add(o, "tx-dropped", json_object_new_int64(
			(int64_t)__atomic_load_n(&n->tx_dropped, __ATOMIC_RELAXED)));
	}
}

/* PCR 1: what the guest sees (its MAC, its queues), not the host's tap. */
static int measure(const struct device_conf *dc, const char *root, FILE *text, char *err,
		   size_t errlen)
{
	const struct net_conf *c = dc->conf;

	if (c->mac_set)
		fprintf(text, "virtio-net 1af4:%04x mac=%02x:%02x:%02x:%02x:%02x:%02x queues=%u\n",
			VIRTIO_PCI_DEVICE_BASE + VIRTIO_ID_NET, c->mac[0], c->mac[1], c->mac[2],
			c->mac[3], c->mac[4], c->mac[5], c->queues);
	else
		fprintf(text, "virtio-net 1af4:%04x mac=derived queues=%u\n",
			VIRTIO_PCI_DEVICE_BASE + VIRTIO_ID_NET, c->queues);
	return 0;
}

const struct device_type virtio_net_device_type = {
	.name = "virtio-net",
	.section = "net",
	.keys = keys,
	.conf_size = sizeof(struct net_conf),
	.conf_check = conf_check,
	.conf_validate = conf_validate,
	.conf_free = conf_free,
	.option = "net",
	.option_arg = "tap=NAME|bridge=BR[,mac=MAC][,queues=N][,vhost=no]",
	.option_help = "a virtio NIC on a tap (created, and put on BR, when missing; repeatable)",
	.conf_option = conf_option,
	.preflight_usage = preflight,
	.measure = measure,
	.create = create,
	VIRTIO_DEVICE_VM_HOOKS,
	.free = destroy,
	.logs_errors = true,
	.status = status,
};
