/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest RAM: where it lies in the guest-physical map (split around the PCI
 * hole below 4 GiB), the e820/memmap the guest is told about, and the host
 * mapping that backs it.
 */
#ifndef PARTVM_MEMORY_H
#define PARTVM_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* e820 types, as in the boot protocol and hvm_memmap_table_entry. */
#define E820_RAM       1
#define E820_RESERVED  2
#define E820_ACPI      3

#define MEMORY_MAX_REGIONS 2
#define MEMORY_MAX_E820    8

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/* A guest-physical RAM range backed by host memory at HOST_OFFSET of the
 * one RAM mapping. */
struct mem_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t host_offset;
};

/*
 * Which platform the guest sees. Direct kernel boot has partvm's own map
 * (layout.h); a UEFI firmware (edk2's CloudHv platform) fixes some of it
 * itself: its 32-bit PCI aperture, its 64-bit aperture's size and the
 * SMBIOS entry point's address, so partvm's map follows it there.
 */
enum layout_platform {
	LAYOUT_DIRECT_BOOT,
	LAYOUT_FIRMWARE,
};

struct mem_layout {
	enum layout_platform platform;
	uint64_t ram_size;
	unsigned nregions;
	struct mem_region regions[MEMORY_MAX_REGIONS];
	uint64_t low_end;           /* end of RAM below the PCI hole */
	uint64_t high_end;          /* end of RAM above 4 GiB (4 GiB if none) */
	uint64_t mmio32_base;       /* 32-bit PCI MMIO window */
	uint64_t mmio32_size;
	uint64_t mmio64_base;
	uint64_t mmio64_size;
	uint64_t ecam_base;         /* PCIe ECAM, LAYOUT_ECAM_SIZE */
	uint64_t smbios_base;       /* SMBIOS entry point and tables */
	uint64_t smbios_size;
	unsigned ne820;
	struct e820_entry e820[MEMORY_MAX_E820];
};

/* Compute the layout for RAM_SIZE bytes (a multiple of 4 KiB, >= 16 MiB)
 * on PLATFORM. */
int memory_layout_init(struct mem_layout *l, uint64_t ram_size, enum layout_platform platform);

enum memory_backing {
	MEMORY_BACKING_ANONYMOUS,
	MEMORY_BACKING_HUGETLB,       /* 2 MiB pages */
	MEMORY_BACKING_HUGETLB_1G,
};

struct guest_memory {
	struct mem_layout layout;
	uint8_t *host;                /* one mapping of ram_size bytes */
	size_t host_size;
	enum memory_backing backing;
	/* Pinned for device DMA (VFIO): a reset must rewrite the pages in
	 * place, because dropping them would leave the IOMMU mapping the old
	 * ones. */
	bool pinned;
};

/* Map RAM_SIZE bytes of guest RAM for PLATFORM's layout, at a host address
 * aligned to the largest page that can back it (2 MiB for anonymous
 * memory, the huge page size for hugetlb), so every region starts
 * congruent with its guest-physical address. */
int memory_map(struct guest_memory *m, uint64_t ram_size, enum memory_backing backing,
	       enum layout_platform platform);
void memory_unmap(struct guest_memory *m);
/* Drop the contents (a reset gives the guest zeroed RAM again). */
int memory_clear(struct guest_memory *m);

/* Host pointer for guest-physical [GPA, GPA+LEN) when it lies entirely in
 * one RAM region, else NULL. Every guest-supplied address goes through it. */
void *memory_guest_ptr(const struct guest_memory *m, uint64_t gpa, uint64_t len);

#endif
