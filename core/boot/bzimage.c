// SPDX-License-Identifier: GPL-2.0-only
#include "core/boot/bzimage.h"

#include <errno.h>
#include <string.h>

#include "core/vm/layout.h"

#define BOOT_FLAG_MAGIC 0xaa55
#define HDRS_MAGIC      0x53726448   /* "HdrS" */
#define OFF_SETUP_HDR   0x1f1
#define OFF_JUMP_LEN    0x201        /* the jump's offset byte: header end - 0x202 */
#define LOADER_UNDEFINED 0xff
#define DEFAULT_LOAD_ADDR 0x100000ULL

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int bzimage_parse(const uint8_t *head, size_t head_len, uint64_t file_size, uint64_t low_end,
		  struct bzimage_info *bi, const char **why)
{
	const struct setup_header *h;
	unsigned sects;

	memset(bi, 0, sizeof(*bi));
	if (head_len < BZIMAGE_HEAD_LEN || file_size < BZIMAGE_HEAD_LEN) {
		*why = "too short to be a bzImage";
		return -ENOEXEC;
	}
	h = (const struct setup_header *)(head + OFF_SETUP_HDR);
	if (h->boot_flag != BOOT_FLAG_MAGIC || h->header != HDRS_MAGIC) {
		*why = "no Linux boot protocol header (HdrS)";
		return -ENOEXEC;
	}
	bi->version = h->version;
	if (h->version < BZIMAGE_MIN_VERSION) {
		*why = "boot protocol older than 2.12 (kernel before 3.8)";
		return -ENOEXEC;
	}
	if (!(h->loadflags & LOADED_HIGH)) {
		*why = "a zImage (loaded low), not a bzImage";
		return -ENOEXEC;
	}
	if (!(h->xloadflags & XLF_KERNEL_64)) {
		*why = "no 64-bit entry point (not an x86-64 kernel)";
		return -ENOEXEC;
	}

	sects = h->setup_sects ? h->setup_sects : 4;
	bi->setup_len = (uint64_t)(sects + 1) * 512;
	bi->payload_len = (uint64_t)h->syssize * 16;
	if (bi->payload_len == 0 || bi->setup_len + bi->payload_len > file_size ||
	    bi->setup_len >= file_size) {
		*why = "truncated (the header promises more than the file holds)";
		return -EIO;
	}

	bi->hdr_len = 0x202 + head[OFF_JUMP_LEN] - OFF_SETUP_HDR;
	if (bi->hdr_len > sizeof(bi->hdr))
		bi->hdr_len = sizeof(bi->hdr);
	memcpy(&bi->hdr, h, bi->hdr_len);

	bi->init_size = h->init_size > bi->payload_len ? h->init_size : bi->payload_len;
	/* An x86-64 kernel runs at its preferred address (CONFIG_PHYSICAL_START)
	 * or above it even when relocatable, so loading it lower saves nothing:
	 * that address plus its working size must be RAM. */
	bi->load_addr = h->pref_address ? h->pref_address : DEFAULT_LOAD_ADDR;
	if (bi->load_addr < LAYOUT_HIGH_MEMORY_START) {
		*why = "wants to load below 1 MiB";
		return -ENOEXEC;
	}
	if (bi->load_addr > low_end || bi->init_size > low_end - bi->load_addr) {
		*why = "needs more guest RAM";
		return -ENOMEM;
	}
	bi->initrd_addr_max = h->initrd_addr_max ? h->initrd_addr_max : 0x37ffffff;
	bi->cmdline_max = h->cmdline_size ? h->cmdline_size : 255;
	bi->initrd_above_4g = h->xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G;
	return 0;
}

uint64_t bzimage_initrd_addr(const struct bzimage_info *bi, const struct mem_layout *l,
			     uint64_t initrd_size)
{
	uint64_t top = l->low_end;
	uint64_t floor = align_up(bi->load_addr + bi->init_size, 4096);
	uint64_t addr;

	if ((uint64_t)bi->initrd_addr_max + 1 < top)
		top = (uint64_t)bi->initrd_addr_max + 1;
	if (initrd_size > top || top - initrd_size < floor)
		return 0;
	addr = (top - initrd_size) & ~4095ULL;
	return addr >= floor ? addr : 0;
}

void bzimage_build_boot_params(const struct bzimage_info *bi, struct boot_params *bp,
			       uint64_t cmdline_addr, uint64_t initrd_addr, uint64_t initrd_size,
			       const struct mem_layout *l, uint64_t rsdp_addr)
{
	struct setup_header *h = &bp->hdr;
	unsigned n = l->ne820;

	memset(bp, 0, sizeof(*bp));
	memcpy(h, &bi->hdr, bi->hdr_len);
	h->type_of_loader = LOADER_UNDEFINED;
	h->loadflags |= CAN_USE_HEAP;
	h->heap_end_ptr = 0xfe00;   /* real-mode heap; unused by the 64-bit entry */
	h->code32_start = (uint32_t)bi->load_addr;
	h->cmd_line_ptr = (uint32_t)cmdline_addr;
	bp->ext_cmd_line_ptr = (uint32_t)(cmdline_addr >> 32);
	h->ramdisk_image = (uint32_t)initrd_addr;
	h->ramdisk_size = (uint32_t)initrd_size;
	bp->ext_ramdisk_image = (uint32_t)(initrd_addr >> 32);
	bp->ext_ramdisk_size = (uint32_t)(initrd_size >> 32);
	if (bi->version >= 0x020e)
		bp->acpi_rsdp_addr = rsdp_addr;

	if (n > E820_MAX_ENTRIES_ZEROPAGE)
		n = E820_MAX_ENTRIES_ZEROPAGE;
	for (unsigned i = 0; i < n; i++) {
		bp->e820_table[i].addr = l->e820[i].addr;
		bp->e820_table[i].size = l->e820[i].size;
		bp->e820_table[i].type = l->e820[i].type;
	}
	bp->e820_entries = (uint8_t)n;
}
