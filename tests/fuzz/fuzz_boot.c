// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kernel images (`kernel = FILE`): format detection, the bzImage header
 * (the input as a file's first bytes, for guests of several RAM sizes, and
 * as the head of a file of the size the input says or of a huge one), the
 * initrd placement and zero page that follow from it, and PVH ELF parsing
 * from memory; then boot_check_kernel() on the same bytes as a file (the
 * preflight `partvm run` does), which must agree with the parsers.
 *
 * Checks: a refusal says why; what a bzImage header promises lies inside
 * the file and its kernel inside the guest's low RAM, with an initrd only
 * above the kernel and below both limits; a PVH kernel's segments lie
 * inside the image (each is read back through boot_image_read) and end at
 * the reported end, which the preflight holds against guest RAM.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "core/boot/boot.h"
#include "core/boot/bzimage.h"
#include "core/boot/image.h"
#include "core/boot/pvh.h"
#include "core/util/cleanup.h"
#include "core/util/log.h"
#include "core/vm/layout.h"
#include "fuzz.h"

#define M (1ULL << 20)
#define G (1ULL << 30)

static const uint64_t rams[] = { 16 * M, 256 * M, 2 * G, 8 * G };
static char file[128];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	snprintf(file, sizeof(file), "%s/kernel", fuzz_scratch_dir("fuzz_boot"));
	/* boot_check_kernel() logs each refusal. */
	log_set_max_level(LOG_EMERG);
	return 0;
}

static void check_why(int r, const char *why)
{
	if ((r != -ENOEXEC && r != -EIO && r != -ENOMEM) || !why || !why[0])
		abort();
}

static void check_initrd(const struct bzimage_info *bi, const struct mem_layout *l, uint64_t size)
{
	uint64_t a = bzimage_initrd_addr(bi, l, size), top = l->low_end;

	if (!a)
		return;
	if ((uint64_t)bi->initrd_addr_max + 1 < top)
		top = (uint64_t)bi->initrd_addr_max + 1;
	if (a % 4096 || a < bi->load_addr + bi->init_size || a > top || size > top - a)
		abort();
}

/* The head of a FILE_SIZE-byte bzImage, for a guest with RAM bytes. */
static int check_bzimage(const uint8_t *data, size_t size, uint64_t file_size, uint64_t ram,
			 struct boot_params *bp)
{
	size_t head_len = size < BZIMAGE_HEAD_LEN ? size : BZIMAGE_HEAD_LEN;
	struct bzimage_info bi;
	struct mem_layout l;
	const char *why = NULL;
	int r;

	if (memory_layout_init(&l, ram, LAYOUT_DIRECT_BOOT) < 0)
		abort();
	r = bzimage_parse(data, head_len, file_size, l.low_end, &bi, &why);
	if (r < 0) {
		check_why(r, why);
		return r;
	}
	if (boot_detect(data, size) != BOOT_FORMAT_BZIMAGE)
		abort();
	/* Setup and payload are in the file, in that order. */
	if (!bi.payload_len || bi.setup_len >= file_size || bi.payload_len > file_size - bi.setup_len)
		abort();
	/* The kernel runs from load_addr for init_size bytes of low RAM. */
	if (bi.load_addr < LAYOUT_HIGH_MEMORY_START || bi.init_size < bi.payload_len ||
	    bi.load_addr > l.low_end || bi.init_size > l.low_end - bi.load_addr)
		abort();
	if (bi.hdr_len > sizeof(bi.hdr) || 0x1f1 + bi.hdr_len > head_len ||
	    memcmp(&bi.hdr, data + 0x1f1, bi.hdr_len))
		abort();
	if (!bi.cmdline_max || !bi.initrd_addr_max)
		abort();

	check_initrd(&bi, &l, 0);
	check_initrd(&bi, &l, 4096);
	check_initrd(&bi, &l, 30 * M);
	check_initrd(&bi, &l, l.low_end);
	bzimage_build_boot_params(&bi, bp, BOOT_CMDLINE_ADDR, 0, 0, &l, 0xe0000);
	if (bp->hdr.code32_start != (uint32_t)bi.load_addr || bp->e820_entries != l.ne820 ||
	    bp->hdr.type_of_loader != 0xff)
		abort();
	return 0;
}

/* 0, or the negative errno of a refusal. */
static int check_pvh(const uint8_t *data, size_t size, struct pvh_info *pi)
{
	struct boot_image img = { .name = "fuzz", .fd = -1, .mem = data, .size = size };
	const char *why = NULL;
	uint64_t end = 0;
	uint8_t *seg;
	int r;

	r = pvh_parse(&img, pi, &why);
	if (r < 0) {
		check_why(r, why);
		if (r == -ENOMEM)
			abort();
		return r;
	}
	if (!pvh_is_elf(data, size) || boot_detect(data, size) == BOOT_FORMAT_UNKNOWN)
		abort();
	if (pi->nseg < 1 || pi->nseg > PVH_MAX_SEGMENTS)
		abort();
	for (unsigned i = 0; i < pi->nseg; i++) {
		const struct pvh_segment *s = &pi->seg[i];

		if (s->offset > size || s->filesz > size - s->offset || s->filesz > s->memsz ||
		    !s->memsz || s->paddr + s->memsz < s->paddr)
			abort();
		if (s->paddr + s->memsz > end)
			end = s->paddr + s->memsz;
		/* What the loader copies: those bytes of the image. */
		seg = malloc(s->filesz ? s->filesz : 1);
		if (!seg || boot_image_read(&img, s->offset, seg, s->filesz) < 0)
			abort();
		free(seg);
	}
	if (end != pi->end)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct boot_params *bp = malloc(sizeof(*bp));
	enum boot_format fmt = boot_detect(data, size);
	struct pvh_info pi;
	int r, bz[ARRAY_SIZE(rams)], pvh, fd;

	if (!bp)
		abort();
	if (fmt == BOOT_FORMAT_PVH && !pvh_is_elf(data, size))
		abort();

	for (size_t i = 0; i < ARRAY_SIZE(rams); i++) {
		bz[i] = check_bzimage(data, size, size, rams[i], bp);
		/* The same head, of a file as large as a header can ask. */
		(void)check_bzimage(data, size, 1ULL << 40, rams[i], bp);
	}
	pvh = check_pvh(data, size, &pi);

	/* The preflight reads the same bytes from a file. */
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	for (size_t i = 0; i < ARRAY_SIZE(rams); i++) {
		struct mem_layout l;
		int want;

		if (memory_layout_init(&l, rams[i], LAYOUT_DIRECT_BOOT) < 0)
			abort();
		if (fmt == BOOT_FORMAT_BZIMAGE)
			want = bz[i] == 0;
		else if (fmt == BOOT_FORMAT_PVH)
			want = pvh == 0 && pi.end <= l.low_end;
		else
			want = 0;
		r = boot_check_kernel(file, rams[i]);
		if (r > 0 || (r == 0) != want)
			abort();
	}
	free(bp);
	return 0;
}
