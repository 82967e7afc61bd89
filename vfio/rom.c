// SPDX-License-Identifier: GPL-2.0-only
/*
 * The expansion ROM: the device's own (read once through vfio-pci's ROM
 * region) or an image from `rom = FILE`, which GPU users need when the
 * device's ROM is missing or unusable after the host's firmware ran it.
 * The guest reads it through the ROM BAR; it is never written, so it is
 * served from memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/vm/vm.h"
#include "vfio/internal.h"

/* A ROM BAR decodes a power of two, at least 2 KiB (PCI 3.0 6.2.5.2). */
#define ROM_MIN 2048
#define ROM_MAX (16ULL << 20)

static uint64_t rom_size(uint64_t len)
{
	uint64_t s = ROM_MIN;

	while (s < len)
		s <<= 1;
	return s;
}

static int load_file(struct vfio_pci *p, const char *path, char *err, size_t errlen)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0) {
		int r = -errno;

		snprintf(err, errlen, "rom %s: %s", path, strerror(-r));
		return r;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0 || (uint64_t)st.st_size > ROM_MAX) {
		snprintf(err, errlen, "rom %s: must be a regular file of 1 byte to 16 MiB", path);
		return -EINVAL;
	}
	p->rom.size = rom_size((uint64_t)st.st_size);
	p->rom.data = calloc(1, p->rom.size);
	if (!p->rom.data)
		return -ENOMEM;
	n = read(fd, p->rom.data, (size_t)st.st_size);
	if (n != st.st_size) {
		snprintf(err, errlen, "rom %s: short read", path);
		return n < 0 ? -errno : -EIO;
	}
	p->rom.from_file = true;
	return 0;
}

int vfio_rom_init(struct vfio_pci *p, const char *path, char *err, size_t errlen)
{
	const struct vfio_region *reg = &p->dev.regions[VFIO_PCI_ROM_REGION_INDEX];
	int r;

	if (path)
		r = load_file(p, path, err, errlen);
	else if (!reg->size || reg->size > ROM_MAX)
		return 0;   /* no ROM: the guest reads an unimplemented ROM BAR */
	else {
		p->rom.size = rom_size(reg->size);
		p->rom.data = calloc(1, p->rom.size);
		if (!p->rom.data)
			return -ENOMEM;
		r = vfio_dev_read(&p->dev, VFIO_PCI_ROM_REGION_INDEX, 0, p->rom.data, reg->size);
		if (r < 0) {
			/* Some devices advertise a ROM BAR with nothing behind
			 * it; the guest then sees none, as vfio-pci's log says. */
			vfio_rom_free(p);
			return 0;
		}
	}
	if (r < 0)
		return r;
	r = pci_device_add_bar(&p->pci, PCI_ROM_BAR, PCI_BAR_ROM, p->rom.size, false);
	if (r < 0)
		snprintf(err, errlen, "cannot present a %llu-byte ROM", (unsigned long long)p->rom.size);
	return r;
}

static uint64_t rom_read(void *opaque, uint64_t offset, unsigned size)
{
	struct vfio_pci *p = opaque;
	uint64_t v = 0;

	if (size > 8 || offset >= p->rom.size || size > p->rom.size - offset)
		return ~0ULL;
	memcpy(&v, p->rom.data + offset, size);
	return v;
}

static void rom_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
}

static const struct bus_ops rom_ops = { .read = rom_read, .write = rom_write };

int vfio_rom_map(struct vfio_pci *p, uint64_t addr, bool enable)
{
	int r;

	if (!p->rom.size)
		return -EINVAL;
	if (p->rom.mapped)
		bus_unregister(&p->vm->mmio, p->rom.gpa, p);
	p->rom.mapped = false;
	if (!enable)
		return 0;
	r = bus_register(&p->vm->mmio, addr, p->rom.size, p->pci.name, &rom_ops, p);
	if (r < 0)
		return r;
	p->rom.gpa = addr;
	p->rom.mapped = true;
	return 0;
}

void vfio_rom_free(struct vfio_pci *p)
{
	if (p->rom.mapped)
		bus_unregister(&p->vm->mmio, p->rom.gpa, p);
	free(p->rom.data);
	memset(&p->rom, 0, sizeof(p->rom));
}
