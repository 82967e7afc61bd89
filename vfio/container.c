// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VFIO container backend: /dev/vfio/vfio with the type1v2 IOMMU.
 * Groups are opened, checked for viability and added to the one container;
 * the IOMMU model is set once the first group is in; DMA mappings made on
 * the container apply to every group in it (type1 replays them for groups
 * added later).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/kvm/kvm.h"
#include "vfio/internal.h"

struct group {
	char path[PATH_MAX];
	int fd;
};

struct container {
	struct vfio_backend base;
	int fd;
	bool iommu_set;
	struct group *groups;
	size_t ngroups;
};

static struct container *to_container(struct vfio_backend *b)
{
	return (struct container *)b;
}

/* The group at PATH, opened and in the container. */
static int get_group(struct container *c, const char *path, int *fd)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	_cleanup_close_ int g = -1;
	struct group *n;

	for (size_t i = 0; i < c->ngroups; i++)
		if (!strcmp(c->groups[i].path, path)) {
			*fd = c->groups[i].fd;
			return 0;
		}
	/* The kernel lets one process at a time open a group: EBUSY means
	 * another VMM (or partvm) has it. */
	g = open(path, O_RDWR | O_CLOEXEC);
	if (g < 0)
		return -errno;
	if (ioctl(g, VFIO_GROUP_GET_STATUS, &status) < 0)
		return -errno;
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EPERM;
	if (ioctl(g, VFIO_GROUP_SET_CONTAINER, &c->fd) < 0)
		return -errno;
	if (!c->iommu_set) {
		if (ioctl(c->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
			return -errno;
		c->iommu_set = true;
	}
	n = reallocarray(c->groups, c->ngroups + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	c->groups = n;
	n = &c->groups[c->ngroups++];
	snprintf(n->path, sizeof(n->path), "%s", path);
	n->fd = TAKE_FD(g);
	*fd = n->fd;
	return 0;
}

static int container_open_device(struct vfio_backend *b, const char *bdf, const char *group_path)
{
	struct container *c = to_container(b);
	int g = -1, r, fd;

	r = get_group(c, group_path, &g);
	if (r < 0)
		return r;
	fd = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (fd < 0)
		return -errno;
	return fd;
}

static int container_map_dma(struct vfio_backend *b, uint64_t iova, uint64_t size, void *vaddr)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	if (!to_container(b)->iommu_set)
		return -ENODEV;
	if (ioctl(to_container(b)->fd, VFIO_IOMMU_MAP_DMA, &map) < 0)
		return -errno;
	return 0;
}

static int container_unmap_dma(struct vfio_backend *b, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};

	if (ioctl(to_container(b)->fd, VFIO_IOMMU_UNMAP_DMA, &unmap) < 0)
		return -errno;
	return 0;
}

static int container_kvm_register(struct vfio_backend *b, int kvm_vfio_fd)
{
	struct container *c = to_container(b);

	for (size_t i = 0; i < c->ngroups; i++) {
		int r = kvm_vfio_add_group(kvm_vfio_fd, c->groups[i].fd);

		if (r < 0)
			return r;
	}
	return 0;
}

static void container_free(struct vfio_backend *b)
{
	struct container *c = to_container(b);

	/* Closing the groups and the container drops the DMA mappings. */
	for (size_t i = 0; i < c->ngroups; i++)
		close(c->groups[i].fd);
	free(c->groups);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static const struct vfio_backend_ops container_ops = {
	.name = "vfio-container-type1v2",
	.open_device = container_open_device,
	.map_dma = container_map_dma,
	.unmap_dma = container_unmap_dma,
	.kvm_register = container_kvm_register,
	.free = container_free,
};

int vfio_container_new(const char *root, struct vfio_backend **out)
{
	char path[PATH_MAX];
	struct container *c;
	int version;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->base.ops = &container_ops;
	snprintf(path, sizeof(path), "%s/dev/vfio/vfio", root);
	c->fd = open(path, O_RDWR | O_CLOEXEC);
	if (c->fd < 0) {
		int r = -errno;

		free(c);
		return r;
	}
	version = ioctl(c->fd, VFIO_GET_API_VERSION);
	if (version != VFIO_API_VERSION || ioctl(c->fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0) {
		container_free(&c->base);
		return -EPROTONOSUPPORT;
	}
	*out = &c->base;
	return 0;
}
