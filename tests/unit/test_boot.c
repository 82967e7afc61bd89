// SPDX-License-Identifier: GPL-2.0-only
/* Boot protocols: the bzImage header of Debian's real kernel, the zero
 * page, initrd placement, hvm_start_info, and PVH ELF parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/boot/boot.h"
#include "core/boot/bzimage.h"
#include "core/boot/pvh.h"
#include "core/vm/layout.h"

#define M (1ULL << 20)
#define G (1ULL << 30)

static uint8_t *kernel;
static size_t kernel_len;

/* Debian's bzImage, fetched by the test setup (tests/lab/kernel). */
static int load_kernel(void **state)
{
	const char *path = getenv("PARTVM_TEST_BZIMAGE");
	struct stat st;
	int fd;

	if (!path) {
		fprintf(stderr, "PARTVM_TEST_BZIMAGE is not set: run through `make check-unit`, which "
				"fetches Debian's kernel with tests/lab/kernel --bzimage\n");
		return -1;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	kernel_len = st.st_size;
	kernel = malloc(kernel_len);
	if (!kernel || read(fd, kernel, kernel_len) != (ssize_t)kernel_len)
		return -1;
	close(fd);
	return 0;
}

static int free_kernel(void **state)
{
	free(kernel);
	return 0;
}

static void test_debian_bzimage(void **state)
{
	struct bzimage_info bi;
	const char *why = NULL;

	assert_int_equal(boot_detect(kernel, kernel_len), BOOT_FORMAT_BZIMAGE);
	assert_int_equal(bzimage_parse(kernel, kernel_len, kernel_len, 512 * M, &bi, &why), 0);
	/* Debian's 6.x kernels speak boot protocol 2.15 and have a 64-bit entry. */
	assert_true(bi.version >= 0x020f);
	assert_true(bi.hdr.xloadflags & XLF_KERNEL_64);
	assert_true(bi.hdr.relocatable_kernel);
	assert_true(bi.hdr.loadflags & LOADED_HIGH);
	assert_true(bi.load_addr == bi.hdr.pref_address);
	assert_true(bi.load_addr >= M && bi.load_addr % bi.hdr.kernel_alignment == 0);
	assert_true(bi.setup_len + bi.payload_len <= kernel_len);
	assert_true(bi.init_size >= bi.payload_len);
	assert_true(bi.cmdline_max >= 2047);
	assert_true(bi.initrd_addr_max == 0x7fffffff);
	/* The copied header is the file's, from 0x1f1 to its end. */
	assert_memory_equal(&bi.hdr, kernel + 0x1f1, bi.hdr_len);
	assert_int_equal(bi.hdr.header, 0x53726448);
}

static void test_truncated_and_foreign(void **state)
{
	struct bzimage_info bi;
	const char *why = NULL;
	uint8_t zeros[BZIMAGE_HEAD_LEN] = { 0 };
	uint8_t text[BZIMAGE_HEAD_LEN];

	/* Every truncation of the payload is caught from the header alone. */
	assert_int_equal(bzimage_parse(kernel, kernel_len, kernel_len - 4096, 512 * M, &bi, &why), -EIO);
	assert_non_null(strstr(why, "truncated"));
	assert_int_equal(bzimage_parse(kernel, kernel_len, 1 * M, 512 * M, &bi, &why), -EIO);
	assert_int_equal(bzimage_parse(kernel, 0x300, 0x300, 512 * M, &bi, &why), -ENOEXEC);

	assert_int_equal(boot_detect(zeros, sizeof(zeros)), BOOT_FORMAT_UNKNOWN);
	assert_int_equal(bzimage_parse(zeros, sizeof(zeros), 1 * M, 512 * M, &bi, &why), -ENOEXEC);
	memset(text, 'a', sizeof(text));
	memcpy(text, "myhost\n", 7);
	assert_int_equal(boot_detect(text, 7), BOOT_FORMAT_UNKNOWN);

	/* Too little RAM for the kernel at all. */
	assert_int_equal(bzimage_parse(kernel, kernel_len, kernel_len, 8 * M, &bi, &why), -ENOMEM);
}

static void test_ram_needed(void **state)
{
	struct bzimage_info bi;
	const char *why = NULL;

	/* A 64-bit kernel runs at its preferred address whatever RAM says:
	 * a guest too small for it is refused up front, naming the need. */
	assert_int_equal(bzimage_parse(kernel, kernel_len, kernel_len, 64 * M, &bi, &why), -ENOMEM);
	assert_true(bi.load_addr + bi.init_size > 64 * M);
	assert_int_equal(bzimage_parse(kernel, kernel_len, kernel_len,
				       bi.load_addr + bi.init_size, &bi, &why), 0);
}

/* A preferred address so high that it plus init_size wraps around is not
 * a kernel that fits (found by fuzz_boot). */
static void test_load_addr_wraps(void **state)
{
	uint8_t head[BZIMAGE_HEAD_LEN];
	uint64_t pref = 0xfffffffffffff000ULL;
	struct bzimage_info bi;
	const char *why = NULL;

	memcpy(head, kernel, sizeof(head));
	memcpy(head + 0x258, &pref, sizeof(pref));   /* setup_header.pref_address */
	assert_true(bzimage_parse(head, sizeof(head), kernel_len, 512 * M, &bi, &why) < 0);
	assert_non_null(why);
}

static void test_boot_params(void **state)
{
	struct mem_layout l;
	struct bzimage_info bi;
	struct boot_params *bp = calloc(1, sizeof(*bp));
	const char *why = NULL;
	uint64_t initrd;

	assert_int_equal(memory_layout_init(&l, 4 * G, LAYOUT_DIRECT_BOOT), 0);
	assert_int_equal(bzimage_parse(kernel, kernel_len, kernel_len, l.low_end, &bi, &why), 0);
	initrd = bzimage_initrd_addr(&bi, &l, 30 * M);
	/* Highest page-aligned spot below initrd_addr_max (2 GiB). */
	assert_true(initrd == 0x80000000ULL - 30 * M);
	bzimage_build_boot_params(&bi, bp, BOOT_CMDLINE_ADDR, initrd, 30 * M, &l, 0xe0000);
	assert_int_equal(bp->hdr.type_of_loader, 0xff);
	assert_true(bp->hdr.loadflags & CAN_USE_HEAP);
	assert_int_equal(bp->hdr.cmd_line_ptr, BOOT_CMDLINE_ADDR);
	assert_int_equal(bp->hdr.ramdisk_image, (uint32_t)initrd);
	assert_int_equal(bp->hdr.ramdisk_size, 30 * M);
	assert_int_equal(bp->ext_ramdisk_image, 0);
	assert_true(bp->acpi_rsdp_addr == 0xe0000);
	assert_int_equal(bp->hdr.setup_sects, kernel[0x1f1]);
	assert_int_equal(bp->e820_entries, l.ne820);
	for (unsigned i = 0; i < l.ne820; i++) {
		assert_true(bp->e820_table[i].addr == l.e820[i].addr);
		assert_true(bp->e820_table[i].size == l.e820[i].size);
		assert_int_equal(bp->e820_table[i].type, l.e820[i].type);
	}
	free(bp);
}

static void test_initrd_placement(void **state)
{
	struct mem_layout l;
	struct bzimage_info bi;
	const char *why = NULL;
	uint64_t a;

	assert_int_equal(memory_layout_init(&l, 128 * M, LAYOUT_DIRECT_BOOT), 0);
	assert_int_equal(bzimage_parse(kernel, kernel_len, kernel_len, l.low_end, &bi, &why), 0);
	a = bzimage_initrd_addr(&bi, &l, 5 * M + 123);
	assert_true(a % 4096 == 0);
	assert_true(a + 5 * M + 123 <= 128 * M);
	assert_true(a >= bi.load_addr + bi.init_size);
	/* An initrd that would overlap the kernel does not fit. */
	assert_true(bzimage_initrd_addr(&bi, &l, 60 * M) == 0);
	assert_true(bzimage_initrd_addr(&bi, &l, 100 * G) == 0);
}

static void test_start_info(void **state)
{
	struct mem_layout l;
	uint8_t buf[4096];
	struct hvm_start_info *si = (void *)buf;
	struct hvm_modlist_entry *mod;
	struct hvm_memmap_table_entry *mm;
	int n;

	assert_int_equal(memory_layout_init(&l, 5 * G, LAYOUT_DIRECT_BOOT), 0);
	n = pvh_build_start_info(buf, sizeof(buf), 0x6000, 0x20000, 0x7000000, 12345, &l, 0xe0000);
	assert_true(n > 0);
	assert_int_equal(si->magic, HVM_START_MAGIC);
	assert_int_equal(si->version, 1);
	assert_true(si->cmdline_paddr == 0x20000);
	assert_true(si->rsdp_paddr == 0xe0000);
	assert_int_equal(si->nr_modules, 1);
	mod = (void *)(buf + (si->modlist_paddr - 0x6000));
	assert_true(mod->paddr == 0x7000000 && mod->size == 12345);
	assert_int_equal(si->memmap_entries, l.ne820);
	mm = (void *)(buf + (si->memmap_paddr - 0x6000));
	for (unsigned i = 0; i < l.ne820; i++) {
		assert_true(mm[i].addr == l.e820[i].addr && mm[i].size == l.e820[i].size);
		assert_int_equal(mm[i].type, l.e820[i].type);
	}
	assert_true(si->memmap_paddr + l.ne820 * sizeof(*mm) <= 0x6000 + (unsigned)n);

	/* No initrd: no module list. */
	n = pvh_build_start_info(buf, sizeof(buf), 0x6000, 0x20000, 0, 0, &l, 0xe0000);
	assert_int_equal(si->nr_modules, 0);
	assert_true(si->modlist_paddr == 0);
	assert_int_equal(pvh_build_start_info(buf, 64, 0x6000, 0x20000, 0, 0, &l, 0), -ENOSPC);
}

static void test_pvh_embedded_guest(void **state)
{
	struct boot_image img = {
		.name = "test guest", .fd = -1, .mem = testguest_elf_start,
		.size = (uint64_t)(testguest_elf_end - testguest_elf_start),
	};
	struct pvh_info pi;
	const char *why = NULL;

	assert_int_equal(boot_detect(img.mem, img.size), BOOT_FORMAT_PVH);
	assert_int_equal(pvh_parse(&img, &pi, &why), 0);
	assert_true(pi.entry >= M && pi.entry < pi.end);
	assert_true(pi.nseg >= 1);
	assert_true(pi.seg[0].paddr >= M);
}

/* A minimal ELF64 with one PT_LOAD and an optional PVH note. */
static size_t make_elf(uint8_t *buf, size_t len, bool with_note)
{
	Elf64_Ehdr *eh = (void *)buf;
	Elf64_Phdr *ph = (void *)(buf + sizeof(*eh));
	uint8_t *note = buf + 512;
	uint32_t nh[3] = { 4, 8, XEN_ELFNOTE_PHYS32_ENTRY };
	uint64_t entry = 0x100010;

	memset(buf, 0, len);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_machine = EM_X86_64;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = with_note ? 2 : 1;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 1024, .p_paddr = M, .p_filesz = 64, .p_memsz = 4096 };
	if (with_note) {
		ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 512, .p_filesz = 24 };
		memcpy(note, nh, sizeof(nh));
		memcpy(note + 12, "Xen", 4);
		memcpy(note + 16, &entry, 8);
	}
	return 1024 + 64;
}

static void test_pvh_parse_cases(void **state)
{
	uint8_t buf[2048];
	struct boot_image img = { .name = "x", .fd = -1, .mem = buf };
	struct pvh_info pi;
	const char *why = NULL;

	img.size = make_elf(buf, sizeof(buf), true);
	assert_int_equal(pvh_parse(&img, &pi, &why), 0);
	assert_int_equal(pi.entry, 0x100010);
	assert_true(pi.end == M + 4096);

	img.size = make_elf(buf, sizeof(buf), false);
	assert_int_equal(pvh_parse(&img, &pi, &why), -ENOEXEC);
	assert_non_null(strstr(why, "PVH"));

	/* Truncated: the segment runs past the end of the file. */
	img.size = make_elf(buf, sizeof(buf), true) - 1;
	assert_int_equal(pvh_parse(&img, &pi, &why), -EIO);

	/* A hostile note length is contained. */
	make_elf(buf, sizeof(buf), true);
	img.size = 1024 + 64;
	((uint32_t *)(buf + 512))[1] = 0xfffffff0;
	assert_int_equal(pvh_parse(&img, &pi, &why), -ENOEXEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian_bzimage),
		cmocka_unit_test(test_truncated_and_foreign),
		cmocka_unit_test(test_ram_needed),
		cmocka_unit_test(test_load_addr_wraps),
		cmocka_unit_test(test_boot_params),
		cmocka_unit_test(test_initrd_placement),
		cmocka_unit_test(test_start_info),
		cmocka_unit_test(test_pvh_embedded_guest),
		cmocka_unit_test(test_pvh_parse_cases),
	};
	return cmocka_run_group_tests_name("boot", tests, load_kernel, free_kernel);
}
