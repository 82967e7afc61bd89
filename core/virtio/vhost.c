// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost ioctls (Documentation/virt/... and <linux/vhost.h>): see vhost.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/virtio/internal.h"
#include "core/virtio/vhost.h"
#include "core/vm/memory.h"

int vhost_open(const char *dev)
{
	_cleanup_close_ int fd = open(dev, O_RDWR | O_CLOEXEC);
	int r;

	if (fd < 0 || ioctl(fd, VHOST_SET_OWNER) < 0)
		return -errno;
	r = fd;
	fd = -1;
	return r;
}

int vhost_get_features(int fd, uint64_t *features)
{
	unsigned long long f;

	if (ioctl(fd, VHOST_GET_FEATURES, &f) < 0)
		return -errno;
	*features = f;
	return 0;
}

int vhost_setup(int fd, uint64_t features, const struct guest_memory *mem)
{
	const struct mem_layout *l = &mem->layout;
	unsigned long long f;
	_cleanup_free_ struct vhost_memory *table = NULL;
	uint64_t offered = 0;
	int r;

	r = vhost_get_features(fd, &offered);
	if (r < 0)
		return r;
	f = features & offered;
	if (ioctl(fd, VHOST_SET_FEATURES, &f) < 0)
		return -errno;
	table = calloc(1, sizeof(*table) + l->nregions * sizeof(table->regions[0]));
	if (!table)
		return -ENOMEM;
	table->nregions = l->nregions;
	for (unsigned i = 0; i < l->nregions; i++)
		table->regions[i] = (struct vhost_memory_region){
			.guest_phys_addr = l->regions[i].gpa,
			.memory_size = l->regions[i].size,
			.userspace_addr = (uintptr_t)(mem->host + l->regions[i].host_offset),
		};
	if (ioctl(fd, VHOST_SET_MEM_TABLE, table) < 0)
		return -errno;
	return 0;
}

int vhost_vring_start(int fd, unsigned idx, const struct virtqueue *vq, int call_fd)
{
	struct vhost_vring_state num = { .index = idx, .num = vq->size };
	struct vhost_vring_state base = { .index = idx, .num = vq->last_avail };
	struct vhost_vring_addr addr = {
		.index = idx,
		.desc_user_addr = (uintptr_t)vq->desc,
		.avail_user_addr = (uintptr_t)vq->avail,
		.used_user_addr = (uintptr_t)vq->used,
	};
	struct vhost_vring_file kick = { .index = idx, .fd = vq->kick_fd };
	struct vhost_vring_file call = { .index = idx, .fd = call_fd };

	if (ioctl(fd, VHOST_SET_VRING_NUM, &num) < 0 || ioctl(fd, VHOST_SET_VRING_BASE, &base) < 0 ||
	    ioctl(fd, VHOST_SET_VRING_ADDR, &addr) < 0 || ioctl(fd, VHOST_SET_VRING_KICK, &kick) < 0 ||
	    ioctl(fd, VHOST_SET_VRING_CALL, &call) < 0)
		return -errno;
	return 0;
}

int vhost_net_set_backend(int fd, unsigned idx, int backend)
{
	struct vhost_vring_file b = { .index = idx, .fd = backend };

	if (ioctl(fd, VHOST_NET_SET_BACKEND, &b) < 0)
		return -errno;
	return 0;
}
