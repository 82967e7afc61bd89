/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel's vhost data path for a virtio device (vhost-net now): the
 * kernel reads the guest's rings, woken by the queue's doorbell eventfd,
 * and raises the queue's MSI-X eventfd, so packets pass without a partvm
 * thread. The kernel checks every ring and buffer address against the
 * memory table we give it: guest RAM only, never the PCI hole.
 */
#ifndef PARTVM_VIRTIO_VHOST_H
#define PARTVM_VIRTIO_VHOST_H

#include <stdint.h>

struct guest_memory;
struct virtqueue;

/* Open DEV (/dev/vhost-net) and become its owner: before partvm drops
 * root and loads its filters. Returns the fd or a negative errno. */
int vhost_open(const char *dev);
/* The features the kernel's vhost offers. */
int vhost_get_features(int fd, uint64_t *features);
/* Before a start: the negotiated FEATURES (what vhost offers of them)
 * and the guest RAM the rings and buffers may lie in. */
int vhost_setup(int fd, uint64_t features, const struct guest_memory *mem);
/* Ring IDX of the vhost device runs queue VQ from its current index: the
 * doorbell is VQ's kick_fd, interrupts go to CALL_FD (-1: none). */
int vhost_vring_start(int fd, unsigned idx, const struct virtqueue *vq, int call_fd);
/* vhost-net: ring IDX moves packets to and from BACKEND (a tap fd; -1
 * stops it, after which the kernel no longer touches the ring). */
int vhost_net_set_backend(int fd, unsigned idx, int backend);

#endif
