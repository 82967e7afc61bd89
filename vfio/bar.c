// SPDX-License-Identifier: GPL-2.0-only
/*
 * BARs of a passed-through device. Each memory BAR is cut once, at start,
 * into pieces the guest reaches directly (page-aligned parts of the areas
 * vfio-pci lets us mmap) and traps that exit to partvm: the pages holding
 * the MSI-X table and PBA, which partvm emulates, and whatever cannot be
 * mmap'ed. I/O BARs are all trap. When the guest enables, moves or
 * disables a BAR (core/pci.c calls vfio_bar_map), the pieces become KVM
 * memory slots at the guest's address and the traps bus ranges there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/kvm/kvm.h"
#include "core/vm/vm.h"
#include "vfio/internal.h"

#define PAGE 4096ULL

static uint64_t align_down(uint64_t v)
{
	return v & ~(PAGE - 1);
}

static uint64_t align_up(uint64_t v)
{
	return (v + PAGE - 1) & ~(PAGE - 1);
}

static struct bus *bar_bus(struct vfio_pci *p, unsigned index)
{
	return p->bars[index].type == PCI_BAR_IO ? &p->vm->pio : &p->vm->mmio;
}

static uint64_t trap_read(void *opaque, uint64_t offset, unsigned size)
{
	struct vfio_trap *t = opaque;
	struct vfio_pci *p = t->p;
	uint64_t off = t->off + offset, v = 0;

	if (size > 8 || offset + size > t->len)
		return ~0ULL;
	if (vfio_msix_table_hit(p, t->bar, off, size))
		return vfio_msix_table_read(p, off - p->msix.table_off, size);
	if (vfio_msix_pba_hit(p, t->bar, off, size))
		return vfio_msix_pba_read(p, off - p->msix.pba_off, size);
	/* Little-endian host: the low SIZE bytes of V are the register. */
	if (vfio_dev_read(&p->dev, t->bar, off, &v, size) < 0)
		return ~0ULL;
	return v;
}

static void trap_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct vfio_trap *t = opaque;
	struct vfio_pci *p = t->p;
	uint64_t off = t->off + offset;

	if (size > 8 || offset + size > t->len)
		return;
	if (vfio_msix_table_hit(p, t->bar, off, size)) {
		vfio_msix_table_write(p, off - p->msix.table_off, size, value);
		return;
	}
	if (vfio_msix_pba_hit(p, t->bar, off, size))
		return;   /* the PBA is read-only */
	(void)vfio_dev_write(&p->dev, t->bar, off, &value, size);
}

static const struct bus_ops trap_ops = { .read = trap_read, .write = trap_write };

/* Remove [START, END) from the pieces, splitting one that spans it. */
static void cut(struct vfio_bar *b, uint64_t start, uint64_t end)
{
	for (unsigned i = 0; i < b->npieces; i++) {
		struct vfio_piece *pc = &b->pieces[i];
		uint64_t ps = pc->off, pe = pc->off + pc->len;

		if (end <= ps || start >= pe)
			continue;
		if (start > ps && end < pe && b->npieces < VFIO_BAR_PARTS) {
			/* Split: the right part becomes a new piece. */
			struct vfio_piece right = *pc;

			right.off = end;
			right.len = pe - end;
			right.host = (uint8_t *)pc->host + (end - ps);
			pc->len = start - ps;
			memmove(&b->pieces[i + 2], &b->pieces[i + 1],
				(b->npieces - i - 1) * sizeof(*pc));
			b->pieces[i + 1] = right;
			b->npieces++;
			i++;
		} else if (start <= ps && end >= pe) {
			memmove(pc, pc + 1, (b->npieces - i - 1) * sizeof(*pc));
			b->npieces--;
			i--;
		} else if (start <= ps) {
			pc->host = (uint8_t *)pc->host + (end - ps);
			pc->off = end;
			pc->len = pe - end;
		} else {
			pc->len = start - ps;
		}
	}
}

static int cmp_area(const void *a, const void *b)
{
	const struct vfio_area *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Cut memory BAR INDEX into direct pieces and traps. */
static void layout(struct vfio_pci *p, unsigned index)
{
	struct vfio_bar *b = &p->bars[index];
	struct vfio_region *reg = &p->dev.regions[index];
	uint64_t cursor = 0;

	b->npieces = b->ntraps = 0;
	if (b->type != PCI_BAR_IO && b->size >= PAGE) {
		qsort(reg->areas, reg->nareas, sizeof(reg->areas[0]), cmp_area);
		for (unsigned a = 0; a < reg->nareas; a++) {
			struct vfio_area *ar = &reg->areas[a];
			uint64_t s = align_up(ar->offset), e = align_down(ar->offset + ar->size);

			if (!ar->map || e <= s || e > b->size)
				continue;
			b->pieces[b->npieces++] = (struct vfio_piece){
				.off = s, .len = e - s, .slot = -1,
				.host = (uint8_t *)ar->map + (s - ar->offset),
			};
		}
		if (p->msix.cap && p->msix.table_bar == index)
			cut(b, align_down(p->msix.table_off),
			    align_up(p->msix.table_off + (uint64_t)p->msix.nvec * MSIX_ENTRY_SIZE));
		if (p->msix.cap && p->msix.pba_bar == index)
			cut(b, align_down(p->msix.pba_off),
			    align_up(p->msix.pba_off + (p->msix.nvec + 63) / 64 * 8));
	}
	for (unsigned i = 0; i <= b->npieces; i++) {
		uint64_t next = i < b->npieces ? b->pieces[i].off : b->size;

		if (next > cursor)
			b->traps[b->ntraps++] = (struct vfio_trap){
				.p = p, .bar = index, .off = cursor, .len = next - cursor,
			};
		if (i < b->npieces)
			cursor = b->pieces[i].off + b->pieces[i].len;
	}
}

int vfio_bars_init(struct vfio_pci *p, char *err, size_t errlen)
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		struct vfio_region *reg = &p->dev.regions[i];
		struct vfio_bar *b = &p->bars[i];
		enum pci_bar_type type;
		uint32_t flags;
		int r;

		if (!reg->size)
			continue;
		r = vfio_dev_read(&p->dev, VFIO_PCI_CONFIG_REGION_INDEX, PCI_BASE_ADDRESS_0 + 4 * i,
				  &flags, 4);
		if (r < 0) {
			snprintf(err, errlen, "cannot read BAR%u: %s", i, strerror(-r));
			return r;
		}
		if (flags & PCI_BASE_ADDRESS_SPACE_IO)
			type = PCI_BAR_IO;
		else if ((flags & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64)
			type = PCI_BAR_MEM64;
		else
			type = PCI_BAR_MEM32;
		b->type = type;
		b->size = pci_pow2_ceil(reg->size);
		r = pci_device_add_bar(&p->pci, i, type, b->size,
				       !!(flags & PCI_BASE_ADDRESS_MEM_PREFETCH));
		if (r < 0) {
			snprintf(err, errlen, "BAR%u (%s, %llu bytes) cannot be presented to the guest", i,
				 type == PCI_BAR_IO ? "I/O" : "memory", (unsigned long long)b->size);
			return r;
		}
		if (type != PCI_BAR_IO) {
			r = vfio_dev_map_region(&p->dev, i);
			if (r < 0) {
				snprintf(err, errlen, "cannot mmap BAR%u: %s", i, strerror(-r));
				return r;
			}
		}
		layout(p, i);
		if (type == PCI_BAR_MEM64)
			i++;   /* the upper half of this BAR */
	}
	return 0;
}

static void unmap(struct vfio_pci *p, unsigned index)
{
	struct vfio_bar *b = &p->bars[index];

	for (unsigned i = 0; i < b->ntraps; i++) {
		struct vfio_trap *t = &b->traps[i];

		if (t->registered)
			bus_unregister(bar_bus(p, index), t->gpa, t);
		t->registered = false;
	}
	for (unsigned i = 0; i < b->npieces; i++) {
		struct vfio_piece *pc = &b->pieces[i];

		/* A zero-sized slot deletes it; when the VM fd is gone, so is
		 * the slot. */
		if (pc->mapped && pc->slot >= 0 && kvm_vm_exists(&p->vm->kvm))
			(void)kvm_set_memory_slot(&p->vm->kvm, (unsigned)pc->slot, 0, 0, NULL);
		pc->mapped = false;
	}
}

static int map(struct vfio_pci *p, unsigned index, uint64_t addr)
{
	struct vfio_bar *b = &p->bars[index];
	int r;

	for (unsigned i = 0; i < b->npieces; i++) {
		struct vfio_piece *pc = &b->pieces[i];

		if (pc->slot < 0)
			return -ENOSPC;
		r = kvm_set_memory_slot(&p->vm->kvm, (unsigned)pc->slot, addr + pc->off, pc->len, pc->host);
		if (r < 0)
			return r;
		pc->mapped = true;
	}
	for (unsigned i = 0; i < b->ntraps; i++) {
		struct vfio_trap *t = &b->traps[i];

		r = bus_register(bar_bus(p, index), addr + t->off, t->len, p->pci.name, &trap_ops, t);
		if (r < 0)
			return r;
		t->gpa = addr + t->off;
		t->registered = true;
	}
	return 0;
}

int vfio_bar_map(struct pci_device *d, unsigned index, uint64_t addr, bool enable)
{
	struct vfio_pci *p = (struct vfio_pci *)d;
	int r;

	if (index == PCI_ROM_BAR)
		return vfio_rom_map(p, addr, enable);
	if (index >= PCI_NUM_BARS || p->bars[index].type == PCI_BAR_NONE)
		return -EINVAL;
	if (!enable) {
		unmap(p, index);
		return 0;
	}
	r = map(p, index, addr);
	if (r < 0)
		unmap(p, index);
	return r;
}

int vfio_bars_attach(struct vfio_pci *p)
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		for (unsigned j = 0; j < p->bars[i].npieces; j++) {
			int slot = kvm_alloc_memory_slot(&p->vm->kvm);

			if (slot < 0)
				return slot;
			p->bars[i].pieces[j].slot = slot;
			p->bars[i].pieces[j].mapped = false;
		}
	return 0;
}

void vfio_bars_detach(struct vfio_pci *p)
{
	/* The slots go with the VM fd; the traps stay on the buses until the
	 * reset turns decoding off. */
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		for (unsigned j = 0; j < p->bars[i].npieces; j++) {
			p->bars[i].pieces[j].slot = -1;
			p->bars[i].pieces[j].mapped = false;
		}
}

void vfio_bars_free(struct vfio_pci *p)
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		if (p->bars[i].type != PCI_BAR_NONE)
			unmap(p, i);
}
