// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VFIO device fd: its regions (size, offset in the fd, what can be
 * mmap'ed, from the sparse-mmap capability), its IRQ indexes, reset, and
 * region I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "vfio/internal.h"

/* Walk the capability chain of a region info (offsets from its start). */
static void parse_caps(struct vfio_region *r, const struct vfio_region_info *info)
{
	const uint8_t *base = (const uint8_t *)info;
	uint32_t next = info->cap_offset;
	unsigned hops = 0;

	while (next && next + sizeof(struct vfio_info_cap_header) <= info->argsz && hops++ < 32) {
		const struct vfio_info_cap_header *h = (const void *)(base + next);

		if (h->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
			const struct vfio_region_info_cap_sparse_mmap *s = (const void *)h;
			size_t room = (info->argsz - next - sizeof(*s)) / sizeof(s->areas[0]);
			uint32_t n = s->nr_areas < room ? s->nr_areas : (uint32_t)room;

			r->nareas = 0;
			for (uint32_t i = 0; i < n && r->nareas < VFIO_MAX_AREAS; i++) {
				/* The kernel's word, but keep every area inside the region. */
				if (!s->areas[i].size || s->areas[i].offset > r->size ||
				    s->areas[i].size > r->size - s->areas[i].offset)
					continue;
				r->areas[r->nareas].offset = s->areas[i].offset;
				r->areas[r->nareas].size = s->areas[i].size;
				r->nareas++;
			}
		} else if (h->id == VFIO_REGION_INFO_CAP_MSIX_MAPPABLE) {
			r->msix_mappable = true;
		}
		if (h->next <= next)
			break;
		next = h->next;
	}
}

static int read_region(struct vfio_dev *d, unsigned index)
{
	struct vfio_region *r = &d->regions[index];
	_cleanup_free_ struct vfio_region_info *info = NULL;
	size_t sz = sizeof(*info);

	for (int tries = 0; tries < 2; tries++) {
		free(info);
		info = calloc(1, sz);
		if (!info)
			return -ENOMEM;
		info->argsz = (uint32_t)sz;
		info->index = index;
		if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, info) < 0)
			return -errno;
		if (info->argsz <= sz)
			break;
		sz = info->argsz;   /* the capabilities need more room */
	}
	memset(r, 0, sizeof(*r));
	r->flags = info->flags;
	r->size = info->size;
	r->offset = info->offset;
	if (r->size && (r->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		r->nareas = 1;
		r->areas[0] = (struct vfio_area){ .offset = 0, .size = r->size };
	}
	if ((r->flags & VFIO_REGION_INFO_FLAG_CAPS) && info->argsz <= sz)
		parse_caps(r, info);
	if (!(r->flags & VFIO_REGION_INFO_FLAG_MMAP))
		r->nareas = 0;
	return 0;
}

int vfio_dev_setup(struct vfio_dev *d, int fd, const char *bdf)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int r;

	memset(d, 0, sizeof(*d));
	d->fd = fd;
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	if (ioctl(fd, VFIO_DEVICE_GET_INFO, &info) < 0)
		return -errno;
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI) || info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX ||
	    info.num_irqs <= VFIO_PCI_MSIX_IRQ_INDEX)
		return -ENOTSUP;
	d->flags = info.flags;
	for (unsigned i = 0; i < VFIO_PCI_NUM_REGIONS && i < info.num_regions; i++) {
		r = read_region(d, i);
		/* VGA is optional and absent on most devices. */
		if (r < 0 && i != VFIO_PCI_VGA_REGION_INDEX)
			return r;
	}
	for (unsigned i = 0; i < VFIO_PCI_NUM_IRQS && i < info.num_irqs; i++) {
		struct vfio_irq_info irq = { .argsz = sizeof(irq), .index = i };

		if (ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, &irq) < 0)
			continue;
		d->irq_count[i] = irq.count;
	}
	return 0;
}

void vfio_dev_close(struct vfio_dev *d)
{
	for (unsigned i = 0; i < VFIO_PCI_NUM_REGIONS; i++)
		for (unsigned a = 0; a < d->regions[i].nareas; a++) {
			struct vfio_area *ar = &d->regions[i].areas[a];

			if (ar->map)
				munmap(ar->map, ar->size);
			ar->map = NULL;
		}
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

int vfio_dev_reset(struct vfio_dev *d)
{
	if (!(d->flags & VFIO_DEVICE_FLAGS_RESET))
		return -ENOTTY;
	if (ioctl(d->fd, VFIO_DEVICE_RESET) < 0)
		return -errno;
	return 0;
}

static int check_range(const struct vfio_dev *d, unsigned region, uint64_t off, size_t len)
{
	const struct vfio_region *r;

	if (region >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	r = &d->regions[region];
	if (off > r->size || len > r->size - off)
		return -EINVAL;
	return 0;
}

int vfio_dev_read(const struct vfio_dev *d, unsigned region, uint64_t off, void *buf, size_t len)
{
	ssize_t n;
	int r = check_range(d, region, off, len);

	if (r < 0)
		return r;
	n = pread(d->fd, buf, len, (off_t)(d->regions[region].offset + off));
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int vfio_dev_write(const struct vfio_dev *d, unsigned region, uint64_t off, const void *buf,
		   size_t len)
{
	ssize_t n;
	int r = check_range(d, region, off, len);

	if (r < 0)
		return r;
	n = pwrite(d->fd, buf, len, (off_t)(d->regions[region].offset + off));
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int vfio_dev_map_region(struct vfio_dev *d, unsigned region)
{
	struct vfio_region *r = &d->regions[region];
	int prot = 0;

	if (r->flags & VFIO_REGION_INFO_FLAG_READ)
		prot |= PROT_READ;
	if (r->flags & VFIO_REGION_INFO_FLAG_WRITE)
		prot |= PROT_WRITE;
	for (unsigned a = 0; a < r->nareas; a++) {
		struct vfio_area *ar = &r->areas[a];
		void *m;

		if (ar->map)
			continue;
		m = mmap(NULL, ar->size, prot, MAP_SHARED, d->fd, (off_t)(r->offset + ar->offset));
		if (m == MAP_FAILED)
			return -errno;
		ar->map = m;
	}
	return 0;
}

int vfio_dev_set_irqs(const struct vfio_dev *d, unsigned index, uint32_t action, unsigned start,
		      unsigned count, const int *fds)
{
	size_t data = fds ? count * sizeof(int32_t) : 0;
	_cleanup_free_ struct vfio_irq_set *set = calloc(1, sizeof(*set) + data);

	if (!set)
		return -ENOMEM;
	set->argsz = (uint32_t)(sizeof(*set) + data);
	set->flags = action | (fds ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE);
	set->index = index;
	set->start = start;
	set->count = count;
	for (unsigned i = 0; fds && i < count; i++)
		((int32_t *)set->data)[i] = fds[i];
	if (ioctl(d->fd, VFIO_DEVICE_SET_IRQS, set) < 0)
		return -errno;
	return 0;
}
