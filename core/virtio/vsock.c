// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-vsock (virtio 1.2, 5.10) on the kernel's vhost-vsock: sockets
 * between the host (AF_VSOCK, CID 2) and the guest (its CID) without a
 * network.
 *
 *   [vsock]
 *   cid = 42            # the guest's context ID: 3 to 4294967294, unique per host
 *
 * or `--vsock cid=42`. The kernel serves the RX and TX queues itself
 * (doorbell ioeventfds, MSI-X eventfds as irqfds); the event queue, used
 * only for a transport reset after migration, stays with partvm and never
 * fires. A CID is the host's to hand out once: the kernel refuses a second
 * VM the same CID, and partvm names the partition that has it from a
 * record under the runtime directory (vsock/CID: "PID NAME").
 *
 * The guest's systemd reports to partvm over it (systemd.io/VM_INTERFACE):
 * partvm listens on a vsock port of the host (SOCK_SEQPACKET, one message
 * a notification) and names it in the vmm.notify_socket credential
 * ("vsock:2:PORT", SMBIOS type 11); what the guest's CID sends there
 * ("READY=1", "STATUS=...") goes to the service layer, which makes the
 * unit ready on it with `ready-on = guest`. Other CIDs are refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/vhost.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_vsock.h>
#include <linux/vm_sockets.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/log.h"
#include "core/util/statefile.h"
#include "core/util/sysfs.h"
#include "core/virtio/internal.h"
#include "core/virtio/vhost.h"
#include "core/virtio/virtio.h"
#include "core/vm/config.h"
#include "core/vm/device.h"
#include "core/vm/loop.h"
#include "core/vm/vm.h"

#define VSOCK_QUEUE_SIZE 256
#define VSOCK_CLASS 0x00ff00          /* "other", as QEMU's vhost-vsock-pci */
#define VSOCK_DEV "/dev/vhost-vsock"
#define VSOCK_MIN_CID 3               /* 0-2: hypervisor, local, host */
#define VSOCK_MAX_CID 0xfffffffeULL   /* U32_MAX is VMADDR_CID_ANY */
enum { VSOCK_RX, VSOCK_TX, VSOCK_EVENT, VSOCK_NQUEUES };
#define NOTIFY_CONNS 4                /* the guest's systemd needs one at a time */
#define NOTIFY_MAX 4096               /* a notification, as sd_notify() sends it */

struct vsock_conf {
	uint64_t cid;
	int line;
};

struct vsock {
	struct virtio_dev vdev;       /* first: device.c's hooks use it */
	struct virtio_ops ops;
	uint64_t cid;
	int fd;                       /* /dev/vhost-vsock, the CID taken */
	bool running;
	char record[PATH_MAX];        /* vsock/CID under the runtime directory, ours */
	char name[48];
	struct vm *vm;
	struct loop *loop;
	int notify_fd;                /* listening for the guest's sd_notify */
	unsigned notify_port;
	int conns[NOTIFY_CONNS];
};

/* ---- Configuration ------------------------------------------------------- */

static int set_cid(struct vsock_conf *c, const char *v, const char **why)
{
	unsigned long n;

	if (config_parse_uint(v, VSOCK_MIN_CID, VSOCK_MAX_CID, &n) < 0) {
		*why = "a guest CID is a number from 3 to 4294967294 (0-2 are the hypervisor's, "
		       "the local and the host's)";
		return -EINVAL;
	}
	c->cid = n;
	return 0;
}

static int key_cid(struct config_ctx *ctx, void *conf, const char *v, const char **why)
{
	((struct vsock_conf *)conf)->line = ctx->line;
	return set_cid(conf, v, why);
}

static const struct config_key keys[] = {
	{ "cid", key_cid },
	{ NULL, NULL },
};

/* --vsock cid=N */
static int conf_option(void *conf, const char *arg, const char **why)
{
	if (!strncmp(arg, "cid=", 4))
		return set_cid(conf, arg + 4, why);
	*why = "expected cid=N";
	return -EINVAL;
}

static int conf_check(const struct device_conf *dc, const char *file, struct config_error *err)
{
	const struct vsock_conf *c = dc->conf;

	if (c->cid)
		return 0;
	snprintf(err->msg, sizeof(err->msg), "%s:%d: [vsock] without 'cid = N' (3 or more, unique "
		 "on this host)", file, dc->line);
	return -EINVAL;
}

/* The CID's holder record: RUNTIME/vsock/CID. */
static void record_name(uint64_t cid, char *dir, size_t dlen, char *name, size_t nlen)
{
	snprintf(dir, dlen, "%s/vsock", partvm_runtime_dir());
	snprintf(name, nlen, "%llu", (unsigned long long)cid);
}

/* Who has CID: the partition its record names while that process lives. */
static void cid_holder(uint64_t cid, char *holder, size_t len)
{
	char dir[PATH_MAX], name[32];

	record_name(cid, dir, sizeof(dir), name, sizeof(name));
	if (statefile_holder(dir, name, holder, len) < 0)
		snprintf(holder, len, "another VM on this host");
}

/* Take CID on a new vhost-vsock fd: the fd, -EADDRINUSE when another VM
 * has it, or another -errno. */
static int take_cid(uint64_t cid)
{
	_cleanup_close_ int fd = open(VSOCK_DEV, O_RDWR | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, VHOST_VSOCK_SET_GUEST_CID, &cid) < 0)
		return -errno;
	r = fd;
	fd = -1;
	return r;
}

/* Before anything is taken: the host has vhost-vsock for us and the CID
 * is free (we take it and give it back: the kernel is the one that
 * knows). A CID in use is about the input (ERR, exit 2); no device is the
 * host's problem (logged here, exit 1). */
static int preflight(const struct device_conf *dc, const struct vm_config *cfg,
		     struct config_error *err)
{
	const struct vsock_conf *c = dc->conf;
	char at[300], holder[300];
	int fd = take_cid(c->cid);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (fd != -EADDRINUSE)
		return log_error_errno(fd, "vsock: %s: %m%s", VSOCK_DEV,
				       fd == -ENOENT ? " (modprobe vhost_vsock)" : "");
	cid_holder(c->cid, holder, sizeof(holder));
	snprintf(err->msg, sizeof(err->msg), "%svsock: cid %llu is taken by %s",
		 config_where(cfg, device_conf_line(dc, c->line), at, sizeof(at)), (unsigned long long)c->cid, holder);
	return fd;
}

/* ---- The transport's callbacks ------------------------------------------- */

static void config_read(struct virtio_dev *vdev, unsigned off, void *buf, unsigned len)
{
	struct vsock *v = vdev->opaque;
	struct virtio_vsock_config c = { .guest_cid = htole64(v->cid) };

	memcpy(buf, (uint8_t *)&c + off, len);
}

static int start(struct virtio_dev *vdev)
{
	struct vsock *v = vdev->opaque;
	int r;

	if (!virtio_msix_enabled(vdev)) {
		virtio_warn(vdev, "the driver uses no MSI-X, which vhost-vsock needs");
		return -EOPNOTSUPP;
	}
	if (!vdev->vqs[VSOCK_RX].enabled || !vdev->vqs[VSOCK_TX].enabled) {
		virtio_warn(vdev, "DRIVER_OK with the RX or TX queue not enabled");
		return -EINVAL;
	}
	r = vhost_setup(v->fd, vdev->driver_features, &vdev->vm->mem);
	for (unsigned q = VSOCK_RX; r == 0 && q <= VSOCK_TX; q++)
		r = vhost_vring_start(v->fd, q, &vdev->vqs[q], virtio_queue_call_fd(&vdev->vqs[q]));
	if (r == 0 && ioctl(v->fd, VHOST_VSOCK_SET_RUNNING, &(int){ 1 }) < 0)
		r = -errno;
	if (r < 0) {
		virtio_warn(vdev, "vhost-vsock refused it: %s", strerror(-r));
		return r;
	}
	v->running = true;
	return 0;
}

static void stop(struct virtio_dev *vdev)
{
	struct vsock *v = vdev->opaque;

	/* The kernel stops touching the rings, and resets the guest's
	 * connections, before this returns. */
	(void)ioctl(v->fd, VHOST_VSOCK_SET_RUNNING, &(int){ 0 });
	v->running = false;
}

/* ---- The guest's notifications -------------------------------------------- */

static void conn_close(struct vsock *v, unsigned i)
{
	loop_remove(v->loop, v->conns[i]);
	close(v->conns[i]);
	v->conns[i] = -1;
}

static void on_notify_message(struct loop *l, int fd, uint32_t events, void *opaque)
{
	struct vsock *v = opaque;
	char buf[NOTIFY_MAX + 1];
	ssize_t n = recv(fd, buf, NOTIFY_MAX, MSG_DONTWAIT);
	unsigned i;

	for (i = 0; i < NOTIFY_CONNS && v->conns[i] != fd; i++)
		;
	if (i == NOTIFY_CONNS)
		return;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(v, i);
		return;
	}
	buf[n] = '\0';
	if (v->vm->guest_notify)
		v->vm->guest_notify(v->vm, buf);
}

static void on_notify_accept(struct loop *l, int fd, uint32_t events, void *opaque)
{
	struct vsock *v = opaque;
	struct sockaddr_vm peer;
	socklen_t len = sizeof(peer);
	int c = accept4(fd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
	unsigned i;

	if (c < 0)
		return;
	/* Only our guest: another VM on the host could reach this port. */
	if (peer.svm_cid != v->cid) {
		virtio_warn(&v->vdev, "a notification connection from cid %u, not this guest's; "
			    "refused", peer.svm_cid);
		close(c);
		return;
	}
	for (i = 0; i < NOTIFY_CONNS && v->conns[i] >= 0; i++)
		;
	if (i == NOTIFY_CONNS || loop_add(l, c, EPOLLIN, on_notify_message, v) < 0) {
		close(c);
		return;
	}
	v->conns[i] = c;
}

/* Listen on a free port of the host and name it to the guest's systemd. */
static int notify_listen(struct vsock *v, struct loop *loop)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
				  .svm_port = VMADDR_PORT_ANY };
	socklen_t len = sizeof(sa);
	char **creds = v->vm->guest_credentials, **grown, *cred = NULL;
	size_t n = 0;
	int r;

	v->notify_fd = socket(AF_VSOCK, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (v->notify_fd < 0 || bind(v->notify_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(v->notify_fd, NOTIFY_CONNS) < 0 ||
	    getsockname(v->notify_fd, (struct sockaddr *)&sa, &len) < 0)
		return -errno;
	v->notify_port = sa.svm_port;
	v->loop = loop;
	if (loop && (r = loop_add(loop, v->notify_fd, EPOLLIN, on_notify_accept, v)) < 0)
		return r;
	if (asprintf(&cred, "io.systemd.credential:vmm.notify_socket=vsock:%u:%u", VMADDR_CID_HOST,
		     v->notify_port) < 0)
		return -ENOMEM;
	while (creds && creds[n])
		n++;
	grown = realloc(creds, (n + 2) * sizeof(*grown));
	if (!grown) {
		free(cred);
		return -ENOMEM;
	}
	grown[n] = cred;
	grown[n + 1] = NULL;
	v->vm->guest_credentials = grown;
	return 0;
}

/* ---- The device ---------------------------------------------------------- */

static int create(struct device *d, struct loop *loop)
{
	const struct vsock_conf *c = d->dc->conf;
	const struct vm_config *cfg = d->vm->cfg;
	struct vsock *v = calloc(1, sizeof(*v));
	uint64_t features = 0;
	char holder[300], dir[PATH_MAX - 32], name[32];
	int r;

	if (!v)
		return -ENOMEM;
	d->priv = v;
	v->cid = c->cid;
	v->vm = d->vm;
	v->notify_fd = -1;
	for (unsigned i = 0; i < NOTIFY_CONNS; i++)
		v->conns[i] = -1;
	v->fd = take_cid(c->cid);
	snprintf(v->name, sizeof(v->name), "%s", d->name);
	if (v->fd == -EADDRINUSE) {
		/* Taken since the preflight: the same refusal, the same status. */
		cid_holder(c->cid, holder, sizeof(holder));
		d->vm->input_refused = true;
		return log_error_errno(v->fd, "%s: cid %llu is taken by %s", d->name,
				       (unsigned long long)c->cid, holder);
	}
	if (v->fd < 0)
		return log_error_errno(v->fd, "%s: %s: %m", d->name, VSOCK_DEV);
	if (ioctl(v->fd, VHOST_SET_OWNER) < 0 || vhost_get_features(v->fd, &features) < 0)
		return log_error_errno(-errno, "%s: %s: %m", d->name, VSOCK_DEV);
	record_name(v->cid, dir, sizeof(dir), name, sizeof(name));
	/* Named for a refusal elsewhere (the kernel is what refuses). */
	(void)statefile_hold(dir, name, cfg->name ? cfg->name : "partvm", v->record,
			     sizeof(v->record));
	r = notify_listen(v, loop);
	/* vhost-vsock opened, so the family exists: EAFNOSUPPORT is a sandbox
	 * forbidding it. */
	if (r < 0)
		return log_error_errno(r, "%s: cannot listen for the guest's notifications on "
				       "vsock: %m%s", d->name,
				       r == -EAFNOSUPPORT ? " (a service needs AF_VSOCK in "
							    "RestrictAddressFamilies=)" : "");
	v->ops = (struct virtio_ops){
		.device_id = VIRTIO_ID_VSOCK,
		.class_code = VSOCK_CLASS,
		.features = features & (1ULL << VIRTIO_VSOCK_F_SEQPACKET),
		.nqueues = VSOCK_NQUEUES,
		.queue_size = VSOCK_QUEUE_SIZE,
		.config_size = sizeof(struct virtio_vsock_config),
		.config_read = config_read,
		.start = start,
		.stop = stop,
	};
	r = virtio_pci_create(&v->vdev, d->vm, &v->ops, v, v->name);
	if (r < 0)
		return log_error_errno(r, "%s: cannot create its PCI device: %m", d->name);
	log_info("%s: guest cid %llu, the guest's systemd reports to vsock:%u:%u, guest slot %02x.0",
		 d->name, (unsigned long long)v->cid, VMADDR_CID_HOST, v->notify_port, v->vdev.pci.slot);
	return 0;
}

static void destroy(struct device *d)
{
	struct vsock *v = d->priv;

	if (!v)
		return;
	if (v->vdev.ops)
		virtio_pci_free(&v->vdev);
	/* A partition given the CID after us may have written its own. */
	statefile_unhold(v->record);
	for (unsigned i = 0; i < NOTIFY_CONNS; i++)
		if (v->conns[i] >= 0)
			conn_close(v, i);
	if (v->notify_fd >= 0) {
		if (v->loop)
			loop_remove(v->loop, v->notify_fd);
		close(v->notify_fd);
	}
	if (v->fd >= 0)
		close(v->fd);
	free(v);
}

static void status(struct device *d, struct json_object *st)
{
	struct vsock *v = d->priv;
	struct json_object *o = virtio_device_status(d, st);

	if (!o)
		return;
	json_object_object_add(o, "cid", json_object_new_int64((int64_t)v->cid));
	json_object_object_add(o, "notify-port", json_object_new_int64(v->notify_port));
}

/* PCR 1: the guest's CID is what it sees. */
static int measure(const struct device_conf *dc, const char *root, FILE *text, char *err,
		   size_t errlen)
{
	const struct vsock_conf *c = dc->conf;

	fprintf(text, "virtio-vsock 1af4:%04x cid=%llu\n", VIRTIO_PCI_DEVICE_BASE + VIRTIO_ID_VSOCK,
		(unsigned long long)c->cid);
	return 0;
}

const struct device_type virtio_vsock_device_type = {
	.name = "virtio-vsock",
	.section = "vsock",
	.keys = keys,
	.singleton = true,
	.conf_size = sizeof(struct vsock_conf),
	.conf_check = conf_check,
	.option = "vsock",
	.option_arg = "cid=N",
	.option_help = "a vsock device (vhost-vsock) with guest context ID N",
	.conf_option = conf_option,
	.preflight_usage = preflight,
	.measure = measure,
	.create = create,
	VIRTIO_DEVICE_VM_HOOKS,
	.free = destroy,
	.logs_errors = true,
	.status = status,
};
