// SPDX-License-Identifier: GPL-2.0-only
/* Booting a UEFI firmware: what partvm accepts as one (edk2's CloudHv
 * platform, checked on the real file 'make firmware' builds), what it
 * refuses and why, and the platform the firmware is given. */
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
#include "core/boot/firmware.h"
#include "core/boot/pvh.h"
#include "core/vm/config.h"
#include "core/vm/layout.h"
#include "core/vm/memory.h"
#include "core/vm/vm.h"

#define M (1ULL << 20)
#define G (1ULL << 30)

#define SEG_OFF  0x1000
#define SEG_SIZE 0x3000
#define IMG_SIZE (SEG_OFF + SEG_SIZE)

/* edk2's shape: an ELFCLASS64 header saying EM_386, a PVH note, one
 * PT_LOAD at 1 MiB holding a firmware volume at FV_AT (or none). */
static void make_firmware(uint8_t *buf, bool note, long fv_at)
{
	Elf64_Ehdr *eh = (void *)buf;
	Elf64_Phdr *ph = (void *)(buf + sizeof(*eh));
	uint32_t nh[3] = { 4, 4, XEN_ELFNOTE_PHYS32_ENTRY }, entry = 0x102000;
	uint64_t fv_len = 0x1000;

	memset(buf, 0, IMG_SIZE);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_machine = EM_386;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = SEG_OFF, .p_paddr = M,
			      .p_filesz = SEG_SIZE, .p_memsz = SEG_SIZE };
	ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 0xb0, .p_filesz = 20 };
	if (note) {
		memcpy(buf + 0xb0, nh, sizeof(nh));
		memcpy(buf + 0xb0 + 12, "Xen", 4);
		memcpy(buf + 0xb0 + 16, &entry, 4);
	}
	if (fv_at >= 0) {
		memcpy(buf + SEG_OFF + fv_at + 0x20, &fv_len, 8);
		memcpy(buf + SEG_OFF + fv_at + 0x28, "_FVH", 4);
	}
}

static void test_accepts_edk2_shape(void **state)
{
	static uint8_t buf[IMG_SIZE];
	struct boot_image img = { .name = "fw", .fd = -1, .mem = buf, .size = IMG_SIZE };
	struct pvh_info pi;
	const char *why = NULL;

	make_firmware(buf, true, 0x1000);
	assert_int_equal(firmware_parse(&img, &pi, &why), 0);
	assert_int_equal(pi.entry, 0x102000);
	assert_true(pi.end == M + SEG_SIZE);
	/* As a kernel, the same header is another architecture's. */
	assert_int_equal(pvh_parse(&img, &pi, &why), -ENOEXEC);
	assert_string_equal(why, "an ELF for another architecture");
}

static void test_refusals(void **state)
{
	static uint8_t buf[IMG_SIZE];
	struct boot_image img = { .name = "fw", .fd = -1, .mem = buf, .size = IMG_SIZE };
	struct pvh_info pi;
	const char *why = NULL;

	/* A PVH ELF with no firmware volume: a kernel, say. */
	make_firmware(buf, true, -1);
	assert_int_equal(firmware_parse(&img, &pi, &why), -ENOEXEC);
	assert_non_null(strstr(why, "no UEFI firmware volume"));

	/* A volume whose length runs past the segment does not count. */
	make_firmware(buf, true, SEG_SIZE - 0x1000);
	((uint64_t *)(buf + SEG_OFF + SEG_SIZE - 0x1000 + 0x20))[0] = 0x2000;
	assert_int_equal(firmware_parse(&img, &pi, &why), -ENOEXEC);

	/* No PVH note. */
	make_firmware(buf, false, 0);
	assert_int_equal(firmware_parse(&img, &pi, &why), -ENOEXEC);
	assert_non_null(strstr(why, "without a PVH entry note"));
	assert_null(strstr(why, "vmlinux"));

	/* A raw flash image (QEMU's OVMF): a volume at offset 0, no ELF. */
	memset(buf, 0xff, IMG_SIZE);
	((uint64_t *)(buf + 0x20))[0] = 0x2000;
	memcpy(buf + 0x28, "_FVH", 4);
	assert_int_equal(firmware_parse(&img, &pi, &why), -ENOEXEC);
	assert_non_null(strstr(why, "flash image made for QEMU"));

	/* Neither. */
	memset(buf, 0, IMG_SIZE);
	assert_int_equal(firmware_parse(&img, &pi, &why), -ENOEXEC);
	assert_non_null(strstr(why, "not a PVH ELF"));

	/* Truncated: the segment runs past the end of the file. */
	make_firmware(buf, true, 0);
	img.size = IMG_SIZE - 1;
	assert_int_equal(firmware_parse(&img, &pi, &why), -EIO);
	img.size = 40;
	assert_int_equal(firmware_parse(&img, &pi, &why), -EIO);
}

/* The file 'make firmware' builds (check-unit passes its path). */
static void test_real_firmware(void **state)
{
	const char *path = getenv("PARTVM_TEST_FIRMWARE");
	struct boot_image img = { .name = path, .fd = -1 };
	struct pvh_info pi;
	const char *why = NULL;
	struct stat st;

	if (!path)
		fail_msg("PARTVM_TEST_FIRMWARE is not set: run through `make check-unit`, which "
			 "builds the firmware (scripts/firmware)");
	img.fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(img.fd >= 0);
	assert_int_equal(fstat(img.fd, &st), 0);
	img.size = (uint64_t)st.st_size;
	assert_int_equal(firmware_parse(&img, &pi, &why), 0);
	/* What the edk2 2022.11 build measured: one 4 MiB segment at 1 MiB,
	 * entered at 0x4fffd0. */
	assert_int_equal(pi.nseg, 1);
	assert_true(pi.seg[0].paddr == M && pi.seg[0].memsz == 4 * M);
	assert_int_equal(pi.entry, 0x4fffd0);
	close(img.fd);
}

/* boot_load() with [boot] firmware: the file's segment at 1 MiB, the PVH
 * start info with the memory map and RSDP but no command line or module,
 * and the 32-bit entry with EBX at the start info. */
static void test_load(void **state)
{
	const char *path = getenv("PARTVM_TEST_FIRMWARE");
	struct vm_config cfg = { .memory = 256 * M };
	struct boot_entry e;
	const struct hvm_start_info *si;
	const struct hvm_memmap_table_entry *mm;
	uint8_t *file, *loaded;
	struct stat st;
	struct vm vm;
	int fd;

	if (!path)
		fail_msg("PARTVM_TEST_FIRMWARE is not set (make check-unit builds the firmware)");
	cfg.firmware = (char *)path;
	memset(&vm, 0, sizeof(vm));
	vm.cfg = &cfg;
	vm.rsdp_gpa = 0xe0000;
	assert_int_equal(memory_map(&vm.mem, cfg.memory, MEMORY_BACKING_ANONYMOUS, LAYOUT_FIRMWARE), 0);
	assert_int_equal(boot_load(&vm, &e), 0);
	assert_int_equal(e.mode, BOOT_MODE_PROTECTED);
	assert_true(e.ip == 0x4fffd0 && e.arg == BOOT_START_INFO_ADDR && e.cr3 == 0);

	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0 && fstat(fd, &st) == 0);
	file = malloc((size_t)st.st_size);
	assert_non_null(file);
	assert_int_equal(pread(fd, file, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	loaded = vm_guest_ptr(&vm, M, 4 * M);
	assert_non_null(loaded);
	assert_memory_equal(loaded, file, 4 * M);     /* the segment is the whole file */
	free(file);

	si = vm_guest_ptr(&vm, BOOT_START_INFO_ADDR, sizeof(*si));
	assert_int_equal(si->magic, HVM_START_MAGIC);
	assert_true(si->cmdline_paddr == 0 && si->nr_modules == 0 && si->modlist_paddr == 0);
	assert_true(si->rsdp_paddr == 0xe0000);
	assert_int_equal(si->memmap_entries, vm.mem.layout.ne820);
	mm = vm_guest_ptr(&vm, si->memmap_paddr, si->memmap_entries * sizeof(*mm));
	assert_non_null(mm);
	for (unsigned i = 0; i < si->memmap_entries; i++)
		assert_true(mm[i].addr == vm.mem.layout.e820[i].addr &&
			    mm[i].size == vm.mem.layout.e820[i].size);
	/* ECAM where the firmware's layout has it, in the map it reads. */
	assert_true(mm[si->memmap_entries - 1].addr == LAYOUT_FW_ECAM_START);
	boot_loaded_free(&vm.loaded);
	memory_unmap(&vm.mem);
}

static bool e820_has(const struct mem_layout *l, uint64_t addr, uint64_t size, uint32_t type)
{
	for (unsigned i = 0; i < l->ne820; i++)
		if (l->e820[i].addr == addr && l->e820[i].size == size && l->e820[i].type == type)
			return true;
	return false;
}

/* The map edk2's CloudHv platform code expects (layout.h), against the
 * direct-boot one: RAM where it was, the PCI apertures and SMBIOS where
 * the firmware puts or looks for them. */
static void test_layout(void **state)
{
	struct mem_layout d, f;

	assert_int_equal(memory_layout_init(&d, 512 * M, LAYOUT_DIRECT_BOOT), 0);
	assert_int_equal(memory_layout_init(&f, 512 * M, LAYOUT_FIRMWARE), 0);
	assert_int_equal(f.platform, LAYOUT_FIRMWARE);
	assert_true(f.low_end == d.low_end && f.high_end == d.high_end);
	assert_true(f.mmio32_base == 0xc0000000 && f.mmio32_base + f.mmio32_size == 0xfc000000);
	assert_true(f.ecam_base == 0xfc000000);
	assert_true(e820_has(&f, 0xfc000000, M, E820_RESERVED));
	assert_false(e820_has(&f, LAYOUT_ECAM_START, M, E820_RESERVED));
	assert_true(f.smbios_base == 0xf0000);
	/* PlatformGetFirstNonAddress(): 4 GiB with no RAM above it, up to a
	 * multiple of the 32 GiB aperture. */
	assert_true(f.mmio64_base == 32 * G && f.mmio64_size == 32 * G);
	assert_true(d.mmio64_base == 64 * G && d.ecam_base == LAYOUT_ECAM_START);
	assert_true(d.smbios_base == LAYOUT_SMBIOS_START && d.mmio32_base == LAYOUT_MMIO32_START);

	/* 6 GiB: RAM to 8 GiB; 40 GiB: to 42 GiB, so the aperture at 64. */
	assert_int_equal(memory_layout_init(&f, 6 * G, LAYOUT_FIRMWARE), 0);
	assert_true(f.high_end == 8 * G && f.mmio64_base == 32 * G);
	assert_int_equal(memory_layout_init(&f, 40 * G, LAYOUT_FIRMWARE), 0);
	assert_true(f.high_end == 42 * G && f.mmio64_base == 64 * G);
	/* Every RAM range stays out of the firmware's apertures. */
	for (unsigned i = 0; i < f.ne820; i++)
		if (f.e820[i].type == E820_RAM)
			assert_true(f.e820[i].addr + f.e820[i].size <= f.mmio32_base ||
				    (f.e820[i].addr >= 4 * G &&
				     f.e820[i].addr + f.e820[i].size <= f.mmio64_base));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_edk2_shape),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_real_firmware),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_layout),
	};
	return cmocka_run_group_tests_name("firmware", tests, NULL, NULL);
}
