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

#include "core/util/bytes.h"
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

/*
 * The first image's PCI Data Structure (PCI Firmware Specification 3.0,
 * 5.1.1-5.1.2): the 0x55AA signature, at 0x18 the structure's offset, and
 * there "PCIR", the vendor ID (+4) and device ID (+6); from structure
 * revision 3, a device ID list at the offset +8 gives (zero-terminated)
 * further device IDs the image supports. Firmware runs an image only for
 * the device it names, so a file for another card is refused here rather
 * than silently ignored in the guest.
 */
int vfio_rom_check_image(const uint8_t *rom, size_t len, uint16_t vendor, uint16_t device, char *why,
			 size_t whylen)
{
	size_t pcir;
	uint16_t v, d, list;

	if (len < 0x1a || rom[0] != 0x55 || rom[1] != 0xaa) {
		snprintf(why, whylen, "is not a PCI expansion ROM image (no 55 AA signature at its start)");
		return -EINVAL;
	}
	pcir = (size_t)le_get(&rom[0x18], 2);
	if (pcir < 0x1a || pcir > len || len - pcir < 0x18 || memcmp(rom + pcir, "PCIR", 4)) {
		snprintf(why, whylen, "has no PCI data structure (no \"PCIR\" at offset 0x%zx)", pcir);
		return -EINVAL;
	}
	v = (uint16_t)le_get(&rom[pcir + 4], 2);
	d = (uint16_t)le_get(&rom[pcir + 6], 2);
	if (v == vendor && d == device)
		return 0;
	list = (uint16_t)le_get(&rom[pcir + 8], 2);
	if (v == vendor && rom[pcir + 0x0c] >= 3 && list) {
		for (size_t at = pcir + list; at + 1 < len; at += 2) {
			uint16_t id = (uint16_t)le_get(&rom[at], 2);

			if (!id)
				break;
			if (id == device)
				return 0;
		}
	}
	snprintf(why, whylen, "is an image for device %04x:%04x, not this device's %04x:%04x", v, d, vendor, device);
	return -EINVAL;
}

/* vfio_rom_check_image() for the device P models (its IDs as read from
 * the host's config space). */
static int check_for_device(const struct vfio_pci *p, const uint8_t *rom, size_t len, char *why,
			    size_t whylen)
{
	return vfio_rom_check_image(rom, len, (uint16_t)le_get(&p->pci.cfg[PCI_VENDOR_ID], 2),
				    (uint16_t)le_get(&p->pci.cfg[PCI_DEVICE_ID], 2), why, whylen);
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
	{
		char why[160];
		int r = check_for_device(p, p->rom.data, (size_t)st.st_size, why, sizeof(why));

		if (r < 0) {
			snprintf(err, errlen, "rom %s %s; give this device's own image, or rom = off", path, why);
			return r;
		}
	}
	return 0;
}

int vfio_rom_init(struct vfio_pci *p, const char *path, bool off, char *err, size_t errlen)
{
	const struct vfio_region *reg = &p->dev.regions[VFIO_PCI_ROM_REGION_INDEX];
	char why[160];
	int r;

	if (off) {
		snprintf(p->rom.state, sizeof(p->rom.state), "off (rom = off)");
		return 0;   /* the guest reads an unimplemented ROM BAR */
	}
	if (path) {
		r = load_file(p, path, err, errlen);
		if (r < 0)
			return r;
		snprintf(p->rom.state, sizeof(p->rom.state), "%llu KiB from %s",
			 (unsigned long long)p->rom.size >> 10, path);
	} else if (!reg->size) {
		snprintf(p->rom.state, sizeof(p->rom.state), "none");
		return 0;
	} else if (reg->size > ROM_MAX) {
		snprintf(p->rom.state, sizeof(p->rom.state), "none (the device's is %llu MiB, over 16 MiB)",
			 (unsigned long long)reg->size >> 20);
		p->rom.unusable = true;
		return 0;
	} else {
		p->rom.size = rom_size(reg->size);
		p->rom.data = calloc(1, p->rom.size);
		if (!p->rom.data)
			return -ENOMEM;
		/* Some devices advertise a ROM BAR with nothing behind it, and
		 * a GPU's can read as garbage once the host's firmware ran it
		 * (shadowed); the guest then gets none and the log says why. */
		r = vfio_dev_read(&p->dev, VFIO_PCI_ROM_REGION_INDEX, 0, p->rom.data, reg->size);
		if (r < 0)
			snprintf(why, sizeof(why), "cannot be read (%s)", strerror(-r));
		else
			r = check_for_device(p, p->rom.data, reg->size, why, sizeof(why));
		if (r < 0) {
			vfio_rom_free(p);
			snprintf(p->rom.state, sizeof(p->rom.state), "none: the device's ROM %s", why);
			p->rom.unusable = true;
			return 0;
		}
		snprintf(p->rom.state, sizeof(p->rom.state), "the device's, %llu KiB",
			 (unsigned long long)p->rom.size >> 10);
	}
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
	p->rom.data = NULL;
	p->rom.size = 0;
	p->rom.mapped = false;
	p->rom.from_file = false;
}
