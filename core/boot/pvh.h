/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PVH direct boot (Xen's docs/misc/pvh.pandoc, used by Linux, QEMU and
 * Firecracker): an ELF with a XEN_ELFNOTE_PHYS32_ENTRY note, entered in
 * 32-bit protected mode with EBX pointing at struct hvm_start_info.
 */
#ifndef PARTVM_PVH_H
#define PARTVM_PVH_H

#include <stddef.h>
#include <stdint.h>

#include "core/boot/image.h"
#include "core/vm/memory.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578
#define PVH_MAX_SEGMENTS 16

/* Xen public/arch-x86/hvm/start_info.h, version 1. */
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

struct pvh_segment {
	uint64_t offset;       /* in the file */
	uint64_t filesz;
	uint64_t paddr;
	uint64_t memsz;
};

struct pvh_info {
	uint32_t entry;
	unsigned nseg;
	struct pvh_segment seg[PVH_MAX_SEGMENTS];
	uint64_t end;          /* highest paddr + memsz */
};

/* Is this an ELF file at all (to tell "ELF without PVH note" apart)? */
int pvh_is_elf(const uint8_t *head, size_t len);

/* Parse the ELF headers and find the PVH entry. -ENOEXEC with WHY set when
 * it is not a PVH kernel, -EIO when truncated. */
int pvh_parse(const struct boot_image *img, struct pvh_info *info, const char **why);
/* The same for a firmware: edk2's PVH ELF header is a 64-bit ELF whose
 * machine says EM_386, which a kernel's may not. */
int pvh_parse_firmware(const struct boot_image *img, struct pvh_info *info, const char **why);

/* Write hvm_start_info, one module entry (when INITRD_SIZE) and the memory
 * map into BUF, which the guest sees at BUF_GPA. Returns bytes used or
 * -ENOSPC. */
int pvh_build_start_info(void *buf, size_t len, uint64_t buf_gpa, uint64_t cmdline_gpa,
			 uint64_t initrd_gpa, uint64_t initrd_size, const struct mem_layout *l,
			 uint64_t rsdp_gpa);

#endif
