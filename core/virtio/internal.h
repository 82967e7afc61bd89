/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inside core/virtio/: virtio 1.x devices over the modern PCI transport.
 *   queue.c    split virtqueues: the guest's rings read as hostile input
 *   pci.c      the transport: capabilities, common/ISR/notify/device
 *              config in BAR0, MSI-X through irqfd, ioeventfd doorbells
 *   worker.c   queue threads: device work runs off the vCPU threads
 *   rng.c blk.c console.c net.c, with disk.c for blk, tap.c for net: the
 *              devices; vhost.c, the kernel's data path for net
 */
#ifndef PARTVM_VIRTIO_INTERNAL_H
#define PARTVM_VIRTIO_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/util/ratelimit.h"
#include "core/vm/msi.h"
#include "core/vm/pci.h"

struct vm;
struct device;
struct guest_memory;
struct virtio_dev;

/* The largest queue any of our devices offers. */
#define VIRTQ_MAX_SIZE 1024

/* ---- queue.c ------------------------------------------------------------- */

struct virtqueue {
	struct virtio_dev *vdev;
	const struct guest_memory *mem;
	unsigned index;
	uint16_t max_size;            /* what the device offers */

	/* Set by the driver through the common config while disabled. */
	uint16_t size;
	uint16_t msix_vector;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool enabled;

	/* Resolved at enable: host views of the rings, checked to lie in RAM. */
	volatile uint8_t *desc;       /* 16 bytes a descriptor */
	volatile uint8_t *avail;      /* flags, idx, ring[size], used_event */
	volatile uint8_t *used;       /* flags, idx, ring[size], avail_event */
	bool event_idx;               /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;                /* VIRTIO_RING_F_INDIRECT_DESC negotiated */

	/* The device side, touched by the queue's one worker only. */
	uint16_t last_avail;          /* next available entry to take */
	uint16_t used_idx;            /* our copy of used->idx */
	uint16_t signalled_used;      /* used->idx at the last interrupt */
	bool signalled_valid;

	int kick_fd;                  /* the doorbell: an ioeventfd, or written by us */
	bool broken;
	char broken_why[160];
};

/* A request taken from the queue: its head, and its buffers as host
 * iovecs, the device-readable ones (OUT) first, then the writable (IN). */
struct virtq_req {
	uint16_t head;
	unsigned nout, nin;
	struct iovec *iov;            /* nout + nin entries */
	uint64_t out_len, in_len;
};

void virtq_init(struct virtqueue *vq, struct virtio_dev *vdev, const struct guest_memory *mem,
		unsigned index, uint16_t max_size);
/* The driver enables the queue: resolve and check its rings. 0, or -EINVAL
 * with broken_why set (size, alignment, a ring outside RAM). */
int virtq_enable(struct virtqueue *vq, bool event_idx, bool indirect);
/* Back to the reset state (disabled, no rings). */
void virtq_reset(struct virtqueue *vq);

/* Take the next available request, its buffers in IOV (CAP entries).
 * Returns 1 with *REQ filled, 0 when none is available, or a negative
 * errno with broken_why set when the guest's ring or chain is malformed:
 * then the queue is broken and takes nothing more until a reset. */
int virtq_pop(struct virtqueue *vq, struct virtq_req *req, struct iovec *iov, unsigned cap);
/* Give request HEAD back with LEN bytes written into its buffers. */
void virtq_push(struct virtqueue *vq, uint16_t head, uint32_t len);
/* After pushes: does the driver want an interrupt now (EVENT_IDX or
 * NO_INTERRUPT)? Updates the signalled index when it does. */
bool virtq_should_notify(struct virtqueue *vq);
/* Before going idle: tell the driver to kick us for anything after what
 * we took (avail_event, with EVENT_IDX). Returns true when more became
 * available meanwhile, so the caller must look again. */
bool virtq_enable_kicks(struct virtqueue *vq);
/* Is anything available right now? */
bool virtq_has_work(struct virtqueue *vq);

/* Copy between a request's buffers and host memory: from the OUT side at
 * byte OFF, into the IN side at byte OFF. Return the bytes copied. */
size_t virtq_req_read(const struct virtq_req *req, size_t off, void *buf, size_t len);
size_t virtq_req_write(const struct virtq_req *req, size_t off, const void *buf, size_t len);
/* DST gets the part of the N buffers SRC that starts SKIP bytes in and is
 * at most LEN bytes long; returns its count (at most N). */
unsigned virtq_iov_slice(const struct iovec *src, unsigned n, size_t skip, size_t len,
			 struct iovec *dst);

/* ---- pci.c --------------------------------------------------------------- */

/* What a device model gives the transport. */
struct virtio_ops {
	uint16_t device_id;           /* VIRTIO_ID_* */
	uint32_t class_code;          /* PCI class, e.g. 0x010000 */
	uint64_t features;            /* device features; the transport adds its own */
	unsigned nqueues;
	uint16_t queue_size;          /* per queue, a power of two <= VIRTQ_MAX_SIZE */
	size_t config_size;           /* device config space */
	/* Device config: read into BUF / write from BUF, OFF+LEN within
	 * config_size (checked by the transport). Any thread. */
	void (*config_read)(struct virtio_dev *vdev, unsigned off, void *buf, unsigned len);
	void (*config_write)(struct virtio_dev *vdev, unsigned off, const void *buf, unsigned len);
	/* Optional: the driver's features were accepted (FEATURES_OK). Set
	 * up what the device config shows for them: the driver may read it
	 * from now on, before DRIVER_OK. */
	void (*features_ok)(struct virtio_dev *vdev);
	/* The driver set DRIVER_OK: start the queues' work. 0 or -errno (the
	 * transport then calls stop, to undo a start that failed half-way,
	 * and marks the device as needing a reset). */
	int (*start)(struct virtio_dev *vdev);
	/* Stop all work and wait for it (reset, VM teardown). After it no
	 * thread of the device touches guest RAM or the queues. */
	void (*stop)(struct virtio_dev *vdev);
};

struct virtio_dev {
	struct pci_device pci;        /* first: the PCI bus hands this back */
	struct vm *vm;
	const struct virtio_ops *ops;
	void *opaque;                 /* the device model */
	const char *name;             /* "virtio-blk0", for messages */

	pthread_mutex_t lock;         /* transport state below; vCPU threads */
	uint64_t driver_features;
	uint32_t device_feature_select, driver_feature_select;
	uint8_t status;
	uint8_t config_generation;
	uint16_t queue_select;
	uint16_t config_msix_vector;
	bool started;                 /* ops->start ran, ops->stop not yet */
	bool needs_reset;             /* DEVICE_NEEDS_RESET, set from any thread */

	pthread_mutex_t irq_lock;     /* ISR and the INTx level; queue threads too */
	uint8_t isr;                  /* INTx: bit 0 queue, bit 1 config */
	bool intx_level;

	struct virtqueue *vqs;
	unsigned nvqs;

	struct msix_table msix;
	struct msi_vector *vectors;   /* nvqs + 1 */
	unsigned nvectors;

	uint64_t bar_addr;            /* BAR0 where it is decoded, 0 if not */
	bool bar_mapped;
	bool ioeventfds;              /* the doorbells are KVM ioeventfds now */
	uint64_t pio_addr;            /* BAR2, the I/O-port doorbells, if decoded */
	unsigned pio_size;            /* its size; 0: none (too many queues) */
	bool pio_mapped;
	bool pio_ioeventfds;
	uint32_t pci_cfg_data;        /* VIRTIO_PCI_CAP_PCI_CFG window */

	struct ratelimit rl;          /* guest-triggered messages */
};

/* Make VDEV: its PCI identity and capabilities, BAR0, queues and vectors,
 * plugged into the VM's PCI bus. */
int virtio_pci_create(struct virtio_dev *vdev, struct vm *vm, const struct virtio_ops *ops,
		      void *opaque, const char *name);
void virtio_pci_free(struct virtio_dev *vdev);
/* The device's VM lifecycle (device types call these from their hooks). */
int virtio_pci_attach(struct virtio_dev *vdev);
void virtio_pci_stop(struct virtio_dev *vdev);
void virtio_pci_detach(struct virtio_dev *vdev);
void virtio_pci_reset(struct virtio_dev *vdev);

/* A used buffer is ready on VQ: interrupt the driver if it wants one. */
void virtio_notify_queue(struct virtqueue *vq);
/* Does the driver use MSI-X? */
bool virtio_msix_enabled(const struct virtio_dev *vdev);
/* The eventfd that raises VQ's MSI-X vector (a KVM irqfd while the guest
 * lets it fire; the pending bit while masked), for a data path outside
 * partvm (vhost) to write; -1 when the queue has no vector. */
int virtio_queue_call_fd(const struct virtqueue *vq);
/* The device config changed (or the device needs a reset). */
void virtio_notify_config(struct virtio_dev *vdev);
/* The guest broke the virtio contract on VQ (or the device itself): set
 * DEVICE_NEEDS_RESET, tell the driver, say why once (rate-limited). */
void virtio_set_broken(struct virtio_dev *vdev, struct virtqueue *vq, const char *why);
/* Was feature BIT negotiated? */
bool virtio_has_feature(const struct virtio_dev *vdev, unsigned bit);
/* A guest-triggered warning, rate-limited per device. */
void virtio_warn(struct virtio_dev *vdev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The PCI IDs of a modern-only virtio device: 1af4:1040 + its type
 * (virtio 1.x, 4.1.2.1); the devices' PCR 1 lines name them too. */
#define VIRTIO_PCI_VENDOR       0x1af4
#define VIRTIO_PCI_DEVICE_BASE  0x1040

/* BAR0 layout of every virtio device. */
#define VIRTIO_BAR_COMMON   0x0000
#define VIRTIO_BAR_ISR      0x1000
#define VIRTIO_BAR_DEVICE   0x2000
#define VIRTIO_BAR_NOTIFY   0x3000
#define VIRTIO_BAR_MSIX     0x4000
#define VIRTIO_BAR_PBA      0x5000
#define VIRTIO_BAR_SIZE     0x8000
#define VIRTIO_NOTIFY_MULT  4         /* bytes between queue doorbells */
/* BAR2: the same doorbells as I/O ports, queue Q's at BAR2 + 2 * Q. */
#define VIRTIO_PIO_BAR      2
#define VIRTIO_PIO_MULT     2
#define VIRTIO_DEVICE_CONFIG_MAX 0x1000

/* ---- device.c: registry hooks for any device whose priv starts with
 * its struct virtio_dev ---- */
struct json_object;
int virtio_device_attach(struct device *d);
void virtio_device_stop(struct device *d);
void virtio_device_detach(struct device *d);
struct json_object *virtio_device_status(struct device *d, struct json_object *status);
/* In a struct device_type: the VM lifecycle hooks above. */
#define VIRTIO_DEVICE_VM_HOOKS                                                       \
	.attach = virtio_device_attach, .stop = virtio_device_stop,                  \
	.detach = virtio_device_detach

/* ---- worker.c ------------------------------------------------------------ */

/* A queue's thread: waits on the queue's doorbell (and EXTRA_FD when it
 * is >= 0) and calls FN with what fired. Stopped by virtio_worker_stop(),
 * which waits for FN to return. */
struct virtio_worker {
	pthread_t thread;
	int stop_fd;
	bool running;
	struct virtqueue *vq;
	int extra_fd;
	/* Set by FN (on the worker's thread) to stop waiting on EXTRA_FD until
	 * it clears it: a tap that is readable while the guest has no buffers
	 * would otherwise wake the thread without end. */
	bool extra_off;
	void (*fn)(struct virtqueue *vq, void *opaque, bool kicked, bool extra);
	void *opaque;
	char name[16];
};

int virtio_worker_start(struct virtio_worker *w, struct virtqueue *vq, int extra_fd,
			void (*fn)(struct virtqueue *vq, void *opaque, bool kicked, bool extra),
			void *opaque, const char *name);
void virtio_worker_stop(struct virtio_worker *w);

#endif
