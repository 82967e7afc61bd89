/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio devices over the modern PCI transport: what core/board.c lists.
 * See core/virtio/internal.h for the transport and queues.
 */
#ifndef PARTVM_VIRTIO_H
#define PARTVM_VIRTIO_H

struct device_type;

/* [disk] / --disk: a raw image or block device, io_uring, multiqueue. */
extern const struct device_type virtio_blk_device_type;

/* [console] device = virtio / --console virtio: hvc0 on stdin/stdout. */
extern const struct device_type virtio_console_device_type;

/* [net] / --net: a NIC on a tap, vhost-net or userspace, multiqueue. */
extern const struct device_type virtio_net_device_type;

/* [rng] / --rng: entropy from getrandom(), rate-limitable. */
extern const struct device_type virtio_rng_device_type;

/* [vsock] / --vsock: AF_VSOCK between host and guest, on vhost-vsock. */
extern const struct device_type virtio_vsock_device_type;

#endif
