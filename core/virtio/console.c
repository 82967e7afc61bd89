// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-console (virtio 1.2, 5.3), one port: the guest's hvc0 on
 * partvm's stdin and stdout, without the UART's exit per byte.
 *
 *   [console]
 *   device = virtio      # hvc0; "serial" (COM1, the default) adds nothing
 *
 * or `--console virtio`. The UART stays (early boot messages, earlyprintk),
 * but stdin goes to hvc0: it claims the host console above COM1.
 *
 * Output (transmitq) is written to stdout by the queue's thread, never by
 * a vCPU. Input (receiveq) is fed by the main loop's console pump
 * (core/vm/console.h): it takes the guest's empty buffers as input comes,
 * and the receiveq's doorbell is the pump's "room again" eventfd.
 */
#include <errno.h>
#include <json-c/json.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/virtio/internal.h"
#include "core/virtio/virtio.h"
#include "core/vm/config.h"
#include "core/vm/console.h"
#include "core/vm/console_output.h"
#include "core/vm/device.h"
#include "core/vm/vm.h"

#define CONSOLE_QUEUE_SIZE 128
#define CONSOLE_CLASS 0x078000        /* simple communication controller, other */
#define RX 0                          /* receiveq0: host to guest */
#define TX 1                          /* transmitq0: guest to host */

struct console_conf {
	bool virtio;                  /* device = virtio */
};

struct vcon {
	struct virtio_dev vdev;       /* first: device.c's hooks use it */
	struct virtio_worker tx;
	pthread_mutex_t rx_lock;      /* the receiveq: main loop vs. start/stop */
	bool rx_on;
	struct console_output *out;
	char name[48];
};

/* ---- Configuration ------------------------------------------------------- */

static int set_device(struct console_conf *c, const char *v, const char **why)
{
	if (!strcmp(v, "virtio")) {
		c->virtio = true;
		return 0;
	}
	if (!strcmp(v, "serial")) {
		c->virtio = false;
		return 0;
	}
	*why = "expected virtio (hvc0) or serial (COM1)";
	return -EINVAL;
}

static int key_device(struct config_ctx *ctx, void *conf, const char *v, const char **why)
{
	return set_device(conf, v, why);
}

static int conf_option(void *conf, const char *arg, const char **why)
{
	return set_device(conf, arg, why);
}

static const struct config_key keys[] = {
	{ "device", key_device },
	{ NULL, NULL },
};

/* ---- Output -------------------------------------------------------------- */

static void handle_tx(struct virtqueue *vq, void *opaque, bool kicked, bool extra)
{
	struct vcon *c = opaque;
	struct iovec iov[CONSOLE_QUEUE_SIZE];
	struct virtq_req req;
	bool pushed = false;
	int r;

	do {
		while ((r = virtq_pop(vq, &req, iov, CONSOLE_QUEUE_SIZE)) > 0) {
			/* Buffered, never waited for (core/vm/console_output.h). */
			for (unsigned i = 0; i < req.nout; i++)
				console_output_write(c->out, iov[i].iov_base, iov[i].iov_len);
			virtq_push(vq, req.head, 0);
			pushed = true;
		}
		if (r < 0) {
			virtio_set_broken(&c->vdev, vq, vq->broken_why);
			break;
		}
	} while (virtq_enable_kicks(vq));
	if (pushed && virtq_should_notify(vq))
		virtio_notify_queue(vq);
}

/* ---- Input --------------------------------------------------------------- */

/* The console pump's port: fill the guest's receive buffers. */
static size_t receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct vcon *c = opaque;
	struct virtqueue *vq = &c->vdev.vqs[RX];
	struct iovec iov[CONSOLE_QUEUE_SIZE];
	struct virtq_req req;
	size_t done = 0;
	bool pushed = false;
	int r = 0;

	pthread_mutex_lock(&c->rx_lock);
	while (c->rx_on && done < len) {
		size_t n;

		r = virtq_pop(vq, &req, iov, CONSOLE_QUEUE_SIZE);
		if (r <= 0)
			break;
		n = virtq_req_write(&req, 0, buf + done, len - done);
		virtq_push(vq, req.head, (uint32_t)n);
		pushed = true;
		done += n;
	}
	if (r < 0)
		virtio_set_broken(&c->vdev, vq, vq->broken_why);
	else if (c->rx_on && done < len)
		/* No buffer: the guest's next kick on the receiveq wakes the pump. */
		(void)virtq_enable_kicks(vq);
	if (pushed && virtq_should_notify(vq))
		virtio_notify_queue(vq);
	pthread_mutex_unlock(&c->rx_lock);
	return done;
}

/* ---- The transport's callbacks ------------------------------------------- */

static int start(struct virtio_dev *vdev)
{
	struct vcon *c = vdev->opaque;
	int r;

	r = virtio_worker_start(&c->tx, &vdev->vqs[TX], -1, handle_tx, c, "virtio-console");
	if (r < 0)
		return r;
	pthread_mutex_lock(&c->rx_lock);
	c->rx_on = true;
	pthread_mutex_unlock(&c->rx_lock);
	/* Input may be waiting: ring the pump. */
	(void)!write(vdev->vqs[RX].kick_fd, &(uint64_t){ 1 }, sizeof(uint64_t));
	return 0;
}

static void stop(struct virtio_dev *vdev)
{
	struct vcon *c = vdev->opaque;

	virtio_worker_stop(&c->tx);
	pthread_mutex_lock(&c->rx_lock);
	c->rx_on = false;
	pthread_mutex_unlock(&c->rx_lock);
}

static const struct virtio_ops console_ops = {
	.device_id = VIRTIO_ID_CONSOLE,
	.class_code = CONSOLE_CLASS,
	.nqueues = 2,
	.queue_size = CONSOLE_QUEUE_SIZE,
	.start = start,
	.stop = stop,
};

/* ---- The device ---------------------------------------------------------- */

static bool wanted_virtio(const struct device *d)
{
	const struct console_conf *c = d->dc ? d->dc->conf : NULL;

	return c && c->virtio;
}

static int create(struct device *d, struct loop *loop)
{
	struct vcon *c;
	int r;

	if (!wanted_virtio(d))
		return 0;   /* device = serial: COM1 alone, as without [console] */
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	d->priv = c;
	c->out = d->vm->console_out;
	pthread_mutex_init(&c->rx_lock, NULL);
	snprintf(c->name, sizeof(c->name), "%s", d->name);
	r = virtio_pci_create(&c->vdev, d->vm, &console_ops, c, c->name);
	if (r < 0)
		return r;
	return console_claim(d->vm, &(struct console_port){
		.name = "hvc0",
		.receive = receive,
		.opaque = c,
		.room_fd = c->vdev.vqs[RX].kick_fd,
		.priority = 1,   /* above COM1 */
	});
}

static int attach(struct device *d)
{
	return d->priv ? virtio_device_attach(d) : 0;
}

static void stop_device(struct device *d)
{
	if (d->priv)
		virtio_device_stop(d);
}

static void detach(struct device *d)
{
	if (d->priv)
		virtio_device_detach(d);
}

static void destroy(struct device *d)
{
	struct vcon *c = d->priv;

	if (!c)
		return;
	virtio_pci_free(&c->vdev);
	pthread_mutex_destroy(&c->rx_lock);
	free(c);
}

static void status(struct device *d, struct json_object *st)
{
	struct vcon *c = d->priv;
	struct json_object *o;

	if (!c)
		return;
	o = virtio_device_status(d, st);
	if (o)
		json_object_object_add(o, "output-dropped", json_object_new_int64((int64_t)console_output_dropped(c->out)));
}

static int measure(const struct device_conf *dc, const char *root, FILE *text, char *err,
		   size_t errlen)
{
	const struct console_conf *c = dc->conf;

	if (c->virtio)
		fprintf(text, "virtio-console 1af4:%04x\n", VIRTIO_PCI_DEVICE_BASE + VIRTIO_ID_CONSOLE);
	return 0;
}

const struct device_type virtio_console_device_type = {
	.name = "virtio-console",
	.section = "console",
	.keys = keys,
	.singleton = true,
	.conf_size = sizeof(struct console_conf),
	.option = "console",
	.option_arg = "virtio|serial",
	.option_help = "the guest's console: virtio (hvc0, on stdin/stdout) or serial\n"
		       "(COM1, the default)",
	.conf_option = conf_option,
	.measure = measure,
	.create = create,
	.attach = attach,
	.stop = stop_device,
	.detach = detach,
	.free = destroy,
	.status = status,
};
