// SPDX-License-Identifier: GPL-2.0-only
#include "core/vm/memory.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "core/vm/layout.h"

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static void add_e820(struct mem_layout *l, uint64_t addr, uint64_t size, uint32_t type)
{
	l->e820[l->ne820++] = (struct e820_entry){ addr, size, type };
}

/* What differs between the platforms (layout.h). */
static const struct {
	uint64_t mmio32_base, mmio32_size, mmio64_size, ecam_base, smbios_base, smbios_size;
} platforms[] = {
	[LAYOUT_DIRECT_BOOT] = { LAYOUT_MMIO32_START, LAYOUT_MMIO32_SIZE, LAYOUT_MMIO64_SIZE,
				 LAYOUT_ECAM_START, LAYOUT_SMBIOS_START, LAYOUT_SMBIOS_SIZE },
	[LAYOUT_FIRMWARE] = { LAYOUT_FW_MMIO32_START, LAYOUT_FW_MMIO32_SIZE, LAYOUT_FW_MMIO64_SIZE,
			      LAYOUT_FW_ECAM_START, LAYOUT_FW_SMBIOS_START, LAYOUT_FW_SMBIOS_SIZE },
};

int memory_layout_init(struct mem_layout *l, uint64_t ram_size, enum layout_platform platform)
{
	uint64_t low, high;

	if (ram_size < (16ULL << 20) || ram_size % 4096)
		return -EINVAL;
	memset(l, 0, sizeof(*l));
	l->platform = platform;
	l->ram_size = ram_size;

	low = ram_size < LAYOUT_PCI_HOLE_START ? ram_size : LAYOUT_PCI_HOLE_START;
	high = ram_size - low;
	l->low_end = low;
	l->high_end = LAYOUT_PCI_HOLE_END + high;

	l->regions[l->nregions++] = (struct mem_region){ 0, low, 0 };
	if (high)
		l->regions[l->nregions++] = (struct mem_region){ LAYOUT_PCI_HOLE_END, high, low };

	l->mmio32_base = platforms[platform].mmio32_base;
	l->mmio32_size = platforms[platform].mmio32_size;
	l->ecam_base = platforms[platform].ecam_base;
	l->smbios_base = platforms[platform].smbios_base;
	l->smbios_size = platforms[platform].smbios_size;
	/* At the first multiple of the window's size above RAM, RAM's end
	 * first rounded to 1 GiB as edk2's PlatformGetFirstNonAddress() does
	 * (which changes nothing for direct boot's 64 GiB). */
	l->mmio64_size = platforms[platform].mmio64_size;
	l->mmio64_base = align_up(align_up(l->high_end, SZ_1G), l->mmio64_size);

	/* What a PC BIOS reports: the EBDA and the BIOS area with our ACPI
	 * tables and TPM event log are reserved; ECAM must be reserved or
	 * Linux ignores MCFG. */
	add_e820(l, 0, LAYOUT_EBDA_START, E820_RAM);
	add_e820(l, LAYOUT_EBDA_START, 0xa0000 - LAYOUT_EBDA_START, E820_RESERVED);
	add_e820(l, LAYOUT_BIOS_START, LAYOUT_BIOS_SIZE, E820_RESERVED);
	add_e820(l, LAYOUT_HIGH_MEMORY_START, low - LAYOUT_HIGH_MEMORY_START, E820_RAM);
	add_e820(l, l->ecam_base, LAYOUT_ECAM_SIZE, E820_RESERVED);
	if (high)
		add_e820(l, LAYOUT_PCI_HOLE_END, high, E820_RAM);
	return 0;
}

/*
 * An anonymous mapping of SIZE bytes at a multiple of ALIGN: reserve SIZE +
 * ALIGN without memory, keep the aligned part, give back the rest. Guest
 * RAM placed so is congruent with guest-physical addresses modulo 2 MiB
 * (RAM above 4 GiB starts at host offset LAYOUT_PCI_HOLE_START), which is
 * what lets KVM map THP's 2 MiB pages as 2 MiB pages in its nested page
 * tables. mmap alone placed a 2 GiB guest 776 KiB past a boundary in the
 * lab: THP still backed it, and KVM mapped it 4 KiB at a time.
 */
static void *map_aligned(uint64_t size, uint64_t align, int flags)
{
	uint8_t *p, *start;

	p = mmap(NULL, size + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return MAP_FAILED;
	start = (uint8_t *)align_up((uintptr_t)p, align);
	if (start > p)
		munmap(p, (size_t)(start - p));
	munmap(start + size, (size_t)(p + align - start));
	if (mmap(start, size, PROT_READ | PROT_WRITE, flags | MAP_FIXED, -1, 0) == MAP_FAILED) {
		int e = errno;

		munmap(start, size);
		errno = e;
		return MAP_FAILED;
	}
	return start;
}

int memory_map(struct guest_memory *m, uint64_t ram_size, enum memory_backing backing,
	       enum layout_platform platform)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	void *p;
	int r;

	r = memory_layout_init(&m->layout, ram_size, platform);
	if (r < 0)
		return r;
	if (backing == MEMORY_BACKING_HUGETLB)
		flags |= MAP_HUGETLB | (21 << MAP_HUGE_SHIFT);
	else if (backing == MEMORY_BACKING_HUGETLB_1G)
		flags |= MAP_HUGETLB | (30 << MAP_HUGE_SHIFT);
	if (backing != MEMORY_BACKING_ANONYMOUS)
		flags &= ~MAP_NORESERVE;

	/* The kernel aligns hugetlbfs mappings to their page size itself. */
	if (backing == MEMORY_BACKING_ANONYMOUS)
		p = map_aligned(ram_size, SZ_2M, flags);
	else
		p = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	if (backing == MEMORY_BACKING_ANONYMOUS)
		madvise(p, ram_size, MADV_HUGEPAGE);
	/* Keep guest RAM out of core dumps of the VMM. */
	madvise(p, ram_size, MADV_DONTDUMP);
	m->host = p;
	m->host_size = ram_size;
	m->backing = backing;
	return 0;
}

void memory_unmap(struct guest_memory *m)
{
	if (m->host)
		munmap(m->host, m->host_size);
	m->host = NULL;
	m->host_size = 0;
}

int memory_clear(struct guest_memory *m)
{
	if (m->backing == MEMORY_BACKING_ANONYMOUS && !m->pinned) {
		if (madvise(m->host, m->host_size, MADV_DONTNEED) < 0)
			return -errno;
	} else {
		memset(m->host, 0, m->host_size);
	}
	return 0;
}

void *memory_guest_ptr(const struct guest_memory *m, uint64_t gpa, uint64_t len)
{
	const struct mem_layout *l = &m->layout;

	for (unsigned i = 0; i < l->nregions; i++) {
		const struct mem_region *r = &l->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
			return m->host ? m->host + r->host_offset + (gpa - r->gpa) : NULL;
	}
	return NULL;
}
