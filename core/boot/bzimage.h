/* SPDX-License-Identifier: GPL-2.0-only */
/* The Linux x86 boot protocol (Documentation/arch/x86/boot.rst): header
 * parsing and the zero page, as pure functions over bytes. */
#ifndef PARTVM_BZIMAGE_H
#define PARTVM_BZIMAGE_H

#include <asm/bootparam.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vm/memory.h"

#define BZIMAGE_MIN_VERSION 0x020c   /* 2.12: xloadflags, 64-bit entry */
#define BZIMAGE_HEAD_LEN 0x400       /* bytes needed to parse the header */

struct bzimage_info {
	uint16_t version;
	uint64_t setup_len;          /* real-mode part: (setup_sects + 1) * 512 */
	uint64_t payload_len;        /* protected-mode kernel: syssize * 16 */
	uint64_t load_addr;          /* where the protected-mode kernel goes */
	uint64_t init_size;          /* memory it needs from load_addr */
	uint32_t initrd_addr_max;
	uint32_t cmdline_max;        /* longest command line it accepts */
	bool initrd_above_4g;
	struct setup_header hdr;     /* copied into the zero page */
	size_t hdr_len;              /* bytes of it from the file */
};

/* Parse the header in HEAD (the file's first bytes, at least
 * BZIMAGE_HEAD_LEN) of a FILE_SIZE-byte bzImage for a guest whose low RAM
 * ends at LOW_END. On failure returns -ENOEXEC (not a bzImage or too old)
 * or -EIO (truncated) with WHY set. */
int bzimage_parse(const uint8_t *head, size_t head_len, uint64_t file_size, uint64_t low_end,
		  struct bzimage_info *bi, const char **why);

/* Where the initrd of INITRD_SIZE goes: the highest page-aligned spot below
 * the kernel's limits and low RAM, above the kernel. 0 if it cannot fit. */
uint64_t bzimage_initrd_addr(const struct bzimage_info *bi, const struct mem_layout *l,
			     uint64_t initrd_size);

/* Fill the zero page. */
void bzimage_build_boot_params(const struct bzimage_info *bi, struct boot_params *bp,
			       uint64_t cmdline_addr, uint64_t initrd_addr, uint64_t initrd_size,
			       const struct mem_layout *l, uint64_t rsdp_addr);

#endif
