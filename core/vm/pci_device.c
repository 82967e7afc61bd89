// SPDX-License-Identifier: GPL-2.0-only
/*
 * A PCI function's emulated config space (pci.h): its type 0 header, BARs
 * that size like hardware, write masks, and the device told when the guest
 * moves or enables a BAR. pci.c is the bus it sits on.
 */
#include "core/vm/pci.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/vm/layout.h"
#include "core/util/bytes.h"
#include "core/util/log.h"

void pci_device_init(struct pci_device *d, const char *name, uint16_t vendor, uint16_t device,
		     uint32_t class_code, uint8_t revision)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	le_put(&d->cfg[PCI_VENDOR_ID], 2, vendor);
	le_put(&d->cfg[PCI_DEVICE_ID], 2, device);
	d->cfg[PCI_REVISION_ID] = revision;
	le_put(&d->cfg[PCI_CLASS_PROG], 3, class_code);
	d->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	/* Command: I/O, memory, bus master, SERR, INTx disable. */
	le_put(&d->wmask[PCI_COMMAND], 2,
	       PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_SERR |
		       PCI_COMMAND_PARITY | PCI_COMMAND_INTX_DISABLE);
	/* Status error bits are write-one-to-clear. */
	le_put(&d->w1cmask[PCI_STATUS], 2,
	       PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_REC_TARGET_ABORT |
		       PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR |
		       PCI_STATUS_DETECTED_PARITY);
	d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	d->wmask[PCI_LATENCY_TIMER] = 0xff;
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
}

int pci_device_add_bar(struct pci_device *d, unsigned index, enum pci_bar_type type,
		       uint64_t size, bool prefetchable)
{
	struct pci_bar *b;
	unsigned off;
	uint32_t flags = 0;
	uint64_t mask;

	if (index > PCI_ROM_BAR || (type == PCI_BAR_ROM) != (index == PCI_ROM_BAR))
		return -EINVAL;
	if (type == PCI_BAR_MEM64 && index >= PCI_NUM_BARS - 1)
		return -EINVAL;
	if (size == 0 || (size & (size - 1)))
		return -EINVAL;
	/* Smallest decodable sizes: 4 bytes of I/O, 16 bytes of memory (we
	 * round memory BARs up to a page so KVM can map them), 2 KiB ROM. */
	if (type == PCI_BAR_IO && (size < 4 || size > PCI_IO_BAR_MAX))
		return -EINVAL;
	if ((type == PCI_BAR_MEM32 || type == PCI_BAR_ROM) && size > (1ULL << 31))
		return -EINVAL;
	if (type == PCI_BAR_ROM && size < 2048)
		return -EINVAL;
	if (type != PCI_BAR_IO && size < 16)
		return -EINVAL;

	b = &d->bars[index];
	*b = (struct pci_bar){ .type = type, .size = size, .prefetchable = prefetchable };
	off = pci_bar_offset(index);
	mask = ~(size - 1);
	switch (type) {
	case PCI_BAR_IO:
		flags = PCI_BASE_ADDRESS_SPACE_IO;
		le_put(&d->wmask[off], 4, (uint32_t)mask & PCI_BASE_ADDRESS_IO_MASK);
		break;
	case PCI_BAR_MEM32:
		flags = prefetchable ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0;
		le_put(&d->wmask[off], 4, (uint32_t)mask & PCI_BASE_ADDRESS_MEM_MASK);
		break;
	case PCI_BAR_MEM64:
		flags = PCI_BASE_ADDRESS_MEM_TYPE_64 | (prefetchable ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
		le_put(&d->wmask[off], 4, (uint32_t)mask & PCI_BASE_ADDRESS_MEM_MASK);
		le_put(&d->wmask[off + 4], 4, (uint32_t)(mask >> 32));
		d->bars[index + 1] = (struct pci_bar){ .type = PCI_BAR_NONE };
		break;
	case PCI_BAR_ROM:
		le_put(&d->wmask[off], 4, ((uint32_t)mask & PCI_ROM_ADDRESS_MASK) | PCI_ROM_ADDRESS_ENABLE);
		break;
	default:
		return -EINVAL;
	}
	le_put(&d->cfg[off], 4, flags);
	return 0;
}

/* The address BAR INDEX holds in the emulated config space. */
static uint64_t bar_address(struct pci_device *d, unsigned index)
{
	struct pci_bar *b = &d->bars[index];
	unsigned off = pci_bar_offset(index);
	uint32_t lo = le_get(&d->cfg[off], 4);

	switch (b->type) {
	case PCI_BAR_IO: return lo & PCI_BASE_ADDRESS_IO_MASK;
	case PCI_BAR_MEM32: return lo & PCI_BASE_ADDRESS_MEM_MASK;
	case PCI_BAR_MEM64:
		return (lo & PCI_BASE_ADDRESS_MEM_MASK) | ((uint64_t)le_get(&d->cfg[off + 4], 4) << 32);
	case PCI_BAR_ROM: return lo & PCI_ROM_ADDRESS_MASK;
	default: return 0;
	}
}

static bool bar_enabled(struct pci_device *d, unsigned index)
{
	uint16_t cmd = le_get(&d->cfg[PCI_COMMAND], 2);
	struct pci_bar *b = &d->bars[index];

	switch (b->type) {
	case PCI_BAR_IO: return cmd & PCI_COMMAND_IO;
	case PCI_BAR_MEM32:
	case PCI_BAR_MEM64: return cmd & PCI_COMMAND_MEMORY;
	case PCI_BAR_ROM:
		return (cmd & PCI_COMMAND_MEMORY) &&
		       (le_get(&d->cfg[PCI_ROM_ADDRESS], 4) & PCI_ROM_ADDRESS_ENABLE);
	default: return false;
	}
}

/* An address the BAR can decode: not zero, and the whole BAR strictly
 * below the top of its address space, so neither the all-ones sizing
 * pattern nor a half-written 64-bit BAR counts as an address. */
static bool bar_address_valid(const struct pci_bar *b, uint64_t addr)
{
	uint64_t limit;

	switch (b->type) {
	case PCI_BAR_IO: limit = 0x10000; break;
	case PCI_BAR_MEM32:
	case PCI_BAR_ROM: limit = LAYOUT_PCI_HOLE_END; break;
	default: limit = 1ULL << 52; break;
	}
	return addr != 0 && addr < limit && b->size < limit - addr;
}

/* Bring the BAR's mapping in line with the config space. */
static void update_bar(struct pci_device *d, unsigned index)
{
	struct pci_bar *b = &d->bars[index];
	uint64_t addr = bar_address(d, index);
	bool want = bar_enabled(d, index) && bar_address_valid(b, addr);

	b->addr = addr;
	if (b->mapped && (!want || b->mapped_addr != addr)) {
		if (d->ops && d->ops->bar_map)
			d->ops->bar_map(d, index, b->mapped_addr, false);
		b->mapped = false;
	}
	if (want && !b->mapped) {
		int r = 0;

		if (d->ops && d->ops->bar_map)
			r = d->ops->bar_map(d, index, addr, true);
		if (r < 0) {
			log_debug("pci %02x.%u %s: BAR%u at %#llx not decoded: %s", d->slot, d->fn,
				  d->name, index, (unsigned long long)addr, strerror(-r));
			return;
		}
		b->mapped = true;
		b->mapped_addr = addr;
	}
}

uint32_t pci_config_read_emulated(struct pci_device *d, unsigned offset, unsigned size)
{
	if (size == 0 || size > 4 || offset >= PCI_CONFIG_SIZE || size > PCI_CONFIG_SIZE - offset)
		return ~0U;
	return le_get(&d->cfg[offset], size);
}

void pci_config_write_emulated(struct pci_device *d, unsigned offset, unsigned size,
			       uint32_t value)
{
	bool bars_changed = false;

	if (size == 0 || size > 4 || offset >= PCI_CONFIG_SIZE || size > PCI_CONFIG_SIZE - offset)
		return;
	for (unsigned i = 0; i < size; i++) {
		unsigned o = offset + i;
		uint8_t v = value >> (8 * i);

		d->cfg[o] = (d->cfg[o] & ~d->wmask[o]) | (v & d->wmask[o]);
		d->cfg[o] &= ~(v & d->w1cmask[o]);
	}
	/* Command register and BARs decide what is decoded where. */
	if (offset < PCI_COMMAND + 2 && offset + size > PCI_COMMAND)
		bars_changed = true;
	if (offset < PCI_BASE_ADDRESS_5 + 4 && offset + size > PCI_BASE_ADDRESS_0)
		bars_changed = true;
	if (offset < PCI_ROM_ADDRESS + 4 && offset + size > PCI_ROM_ADDRESS)
		bars_changed = true;
	if (bars_changed) {
		for (unsigned i = 0; i <= PCI_ROM_BAR; i++)
			if (d->bars[i].type != PCI_BAR_NONE)
				update_bar(d, i);
	}
}

