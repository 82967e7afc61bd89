// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-rng (virtio 1.2, 5.4): entropy from the host's getrandom() into
 * the buffers the guest offers, so /dev/hwrng in the guest feeds its
 * pool from boot on.
 *
 *   [rng]
 *   rate = 64K          # bytes a second the guest may draw (default: no limit)
 *
 * or `--rng on` / `--rng rate=64K`. With a rate, a token bucket (one
 * second's worth, at least 4 KiB) gates the buffers: a buffer is filled
 * whole once the bucket holds enough for it, never in part. (Measured in
 * the lab: Debian's 6.1 driver, given a partial buffer, stopped asking
 * for more within a few hundred requests in nearly every run; whole
 * buffers, never.) While the bucket fills, the queue's thread waits on a
 * timer, never the guest's vCPU.
 *
 * This file is the worked example in ARCHITECTURE.md: a device is its
 * config struct and keys, a model struct that begins with struct
 * virtio_dev, the virtio_ops the transport calls, and one struct
 * device_type listed in core/board.c.
 */
#include <errno.h>
#include <json-c/json.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/virtio/internal.h"
#include "core/virtio/virtio.h"
#include "core/vm/config.h"
#include "core/vm/device.h"
#include "core/vm/vm.h"

#define RNG_QUEUE_SIZE 64
/* The bucket holds at least this, so any buffer up to it is served whole. */
#define RNG_MIN_BURST 4096
/* The most one request gets: a driver asks for tens of bytes at a time
 * (Linux's for 64 at most), a hostile one for up to 4 GiB in one buffer,
 * which would keep a host thread filling it for seconds; used.len tells
 * the driver how much it got (virtio 1.2, 5.4.6.1). */
#define RNG_MAX_REQUEST (64 * 1024)
/* PCI class "other" with the device ID naming what it is. */
#define RNG_CLASS 0x00ff00

struct rng_conf {
	uint64_t rate;                /* bytes a second; 0: no limit */
};

struct rng {
	struct virtio_dev vdev;       /* first: device.c's hooks use it */
	struct virtio_worker worker;
	uint64_t rate;
	double burst;                 /* the bucket's size */
	struct virtq_req held;        /* taken, waiting for tokens */
	struct iovec iov[RNG_QUEUE_SIZE];
	bool holding;
	double tokens;                /* bytes the guest may take now */
	struct timespec refilled;
	int timer_fd;                 /* wakes the worker when tokens are back */
	char name[48];
};

/* ---- Configuration ------------------------------------------------------- */

static int set_rate(struct rng_conf *c, const char *v, const char **why)
{
	uint64_t rate;

	if (config_parse_size(v, &rate) < 0 || rate == 0) {
		*why = "not a rate (bytes a second with K, M or G, e.g. 64K; B for bytes)";
		return -EINVAL;
	}
	c->rate = rate;
	return 0;
}

static int key_rate(struct config_ctx *ctx, void *conf, const char *v, const char **why)
{
	return set_rate(conf, v, why);
}

/* --rng on | --rng rate=SIZE */
static int conf_option(void *conf, const char *arg, const char **why)
{
	if (!strcmp(arg, "on"))
		return 0;
	if (!strncmp(arg, "rate=", 5))
		return set_rate(conf, arg + 5, why);
	*why = "expected 'on' or 'rate=SIZE'";
	return -EINVAL;
}

static const struct config_key keys[] = {
	{ "rate", key_rate },
	{ NULL, NULL },
};

/* ---- The queue ----------------------------------------------------------- */

static void refill(struct rng *g)
{
	struct timespec now;
	double dt;

	clock_gettime(CLOCK_MONOTONIC, &now);
	dt = (double)(now.tv_sec - g->refilled.tv_sec) + (now.tv_nsec - g->refilled.tv_nsec) / 1e9;
	g->refilled = now;
	g->tokens += dt * (double)g->rate;
	if (g->tokens > g->burst)
		g->tokens = g->burst;
}

/* Sleep until the bucket holds NEED bytes. */
static void wait_for_tokens(struct rng *g, double need)
{
	double secs = (need - g->tokens) / (double)g->rate;
	struct itimerspec its = { 0 };

	if (secs < 0.001)
		secs = 0.001;
	its.it_value.tv_sec = (time_t)secs;
	its.it_value.tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9);
	timerfd_settime(g->timer_fd, 0, &its, NULL);
}

/* Fill the request's writable buffers with random bytes, up to LIMIT. */
static uint32_t fill(const struct virtq_req *req, size_t limit)
{
	size_t done = 0;

	for (unsigned i = req->nout; i < req->nout + req->nin && done < limit; i++) {
		size_t n = req->iov[i].iov_len < limit - done ? req->iov[i].iov_len : limit - done;
		ssize_t got = getrandom(req->iov[i].iov_base, n, 0);

		if (got <= 0)
			break;
		done += (size_t)got;
		if ((size_t)got < n)
			break;
	}
	return (uint32_t)done;
}

/* Serve the request we hold, if the bucket allows: true when it went
 * back to the guest. */
static bool serve(struct rng *g, struct virtqueue *vq)
{
	size_t limit = RNG_MAX_REQUEST;
	uint32_t n;

	if (g->rate) {
		double need = (double)g->held.in_len < g->burst ? (double)g->held.in_len : g->burst;

		if (need > RNG_MAX_REQUEST)
			need = RNG_MAX_REQUEST;

		refill(g);
		if (g->tokens < need) {
			wait_for_tokens(g, need);
			return false;
		}
		limit = (size_t)need;
	}
	n = fill(&g->held, limit);
	if (g->rate)
		g->tokens -= n;
	virtq_push(vq, g->held.head, n);
	g->holding = false;
	return true;
}

static void handle(struct virtqueue *vq, void *opaque, bool kicked, bool timer)
{
	struct rng *g = opaque;
	bool pushed = false;
	int r;

	if (timer) {
		uint64_t n;

		(void)!read(g->timer_fd, &n, sizeof(n));
	}
	do {
		for (;;) {
			if (!g->holding) {
				r = virtq_pop(vq, &g->held, g->iov, RNG_QUEUE_SIZE);
				if (r < 0) {
					virtio_set_broken(&g->vdev, vq, vq->broken_why);
					goto out;
				}
				if (r == 0)
					break;
				if (g->held.nout)
					/* The queue is device-writable only (5.4.6.1). */
					virtio_warn(&g->vdev, "a request with %u device-readable buffers",
						    g->held.nout);
				g->holding = true;
			}
			if (!serve(g, vq))
				goto out;   /* the timer brings us back */
			pushed = true;
		}
	} while (virtq_enable_kicks(vq));
out:
	if (pushed && virtq_should_notify(vq))
		virtio_notify_queue(vq);
}

/* ---- The transport's callbacks ------------------------------------------- */

static int start(struct virtio_dev *vdev)
{
	struct rng *g = vdev->opaque;

	g->burst = g->rate > RNG_MIN_BURST ? (double)g->rate : RNG_MIN_BURST;
	g->tokens = g->burst;
	g->holding = false;
	clock_gettime(CLOCK_MONOTONIC, &g->refilled);
	return virtio_worker_start(&g->worker, &vdev->vqs[0], g->rate ? g->timer_fd : -1, handle,
				   g, "virtio-rng");
}

static void stop(struct virtio_dev *vdev)
{
	struct rng *g = vdev->opaque;

	virtio_worker_stop(&g->worker);
	/* A request held for tokens is dropped with the queue: after a
	 * reset the driver expects nothing back. */
	g->holding = false;
	timerfd_settime(g->timer_fd, 0, &(struct itimerspec){ 0 }, NULL);
}

static const struct virtio_ops rng_ops = {
	.device_id = VIRTIO_ID_RNG,
	.class_code = RNG_CLASS,
	.nqueues = 1,
	.queue_size = RNG_QUEUE_SIZE,
	.start = start,
	.stop = stop,
};

/* ---- The device ---------------------------------------------------------- */

static int create(struct device *d, struct loop *loop)
{
	const struct rng_conf *c = d->dc->conf;
	struct rng *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	d->priv = g;
	g->rate = c->rate;
	g->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (g->timer_fd < 0)
		return -errno;
	snprintf(g->name, sizeof(g->name), "%s", d->name);
	return virtio_pci_create(&g->vdev, d->vm, &rng_ops, g, g->name);
}

static void destroy(struct device *d)
{
	struct rng *g = d->priv;

	if (!g)
		return;
	virtio_pci_free(&g->vdev);
	if (g->timer_fd >= 0)
		close(g->timer_fd);
	free(g);
}

static void status(struct device *d, struct json_object *st)
{
	struct rng *g = d->priv;
	struct json_object *o = virtio_device_status(d, st);

	if (o)
		json_object_object_add(o, "rate", g->rate ? json_object_new_int64((int64_t)g->rate) : NULL);
}

/* PCR 1: the guest sees an RNG, and how fast it may draw. */
static int measure(const struct device_conf *dc, const char *root, FILE *text, char *err,
		   size_t errlen)
{
	const struct rng_conf *c = dc->conf;

	fprintf(text, "virtio-rng 1af4:%04x rate=%llu\n", VIRTIO_PCI_DEVICE_BASE + VIRTIO_ID_RNG,
		(unsigned long long)c->rate);
	return 0;
}

const struct device_type virtio_rng_device_type = {
	.name = "virtio-rng",
	.section = "rng",
	.keys = keys,
	.singleton = true,
	.conf_size = sizeof(struct rng_conf),
	.option = "rng",
	.option_arg = "on|rate=SIZE",
	.option_help = "a virtio RNG fed by getrandom(), at most SIZE bytes a second",
	.conf_option = conf_option,
	.measure = measure,
	.create = create,
	VIRTIO_DEVICE_VM_HOOKS,
	.free = destroy,
	.status = status,
};
