/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Direct kernel boot. The format is detected from the file's contents:
 * a bzImage (Linux x86 boot protocol, entered at its 64-bit entry point) or
 * an ELF carrying a PVH entry note (entered in 32-bit protected mode).
 */
#ifndef PARTVM_BOOT_H
#define PARTVM_BOOT_H

#include <stddef.h>
#include <stdint.h>

struct vm;
struct vm_config;

/* Fixed low-memory addresses used while booting (all below 0x8000, or at
 * 0x20000 and up, so a guest may use 0x8000-0xffff as a trampoline). */
#define BOOT_GDT_ADDR        0x0500ULL
#define BOOT_START_INFO_ADDR 0x6000ULL   /* hvm_start_info + modlist + memmap */
#define BOOT_ZERO_PAGE_ADDR  0x7000ULL   /* struct boot_params */
#define BOOT_PML4_ADDR       0x10000ULL  /* identity page tables, 6 pages */
#define BOOT_CMDLINE_ADDR    0x20000ULL
#define BOOT_CMDLINE_MAX     0x10000ULL
#define BOOT_STACK_ADDR      0x5ff0ULL

/* GDT selectors, as the 64-bit boot protocol requires (__BOOT_CS/__BOOT_DS). */
#define BOOT_GDT_CODE 0x10
#define BOOT_GDT_DATA 0x18
#define BOOT_GDT_TSS  0x20

enum boot_mode {
	BOOT_MODE_LONG,         /* 64-bit, paging on, RSI = boot_params */
	BOOT_MODE_PROTECTED,    /* 32-bit flat, paging off, EBX = start info */
};

struct boot_entry {
	enum boot_mode mode;
	uint64_t ip;
	uint64_t arg;           /* RSI (bzImage) or EBX (PVH) */
	uint64_t sp;
	uint64_t cr3;
};

enum boot_format {
	BOOT_FORMAT_UNKNOWN,
	BOOT_FORMAT_BZIMAGE,
	BOOT_FORMAT_PVH,
};

/* The bytes one boot loaded, kept until its devices are attached so that a
 * vTPM measures what the guest runs rather than the files as they are when
 * it opens them again (they may have been replaced in between). */
struct boot_loaded {
	const uint8_t *kernel;     /* the kernel file's bytes, or the embedded guest */
	size_t kernel_len;
	uint8_t *kernel_buf;       /* our copy of a kernel file (kernel points here) */
	const uint8_t *initrd;     /* the initrd where it sits in guest RAM */
	size_t initrd_len;
};

/* Drop what boot_load() kept (the kernel's copy); the struct reads empty. */
void boot_loaded_free(struct boot_loaded *l);

/* Which format the first bytes of a kernel image are. */
enum boot_format boot_detect(const void *image, size_t len);

/* Load the configured kernel (or the embedded test guest), initrd and
 * command line into guest memory, with the tables the protocol needs.
 * With vm->keep_loaded, the kernel file is read whole once, loaded from
 * that copy and kept in vm->loaded with the initrd's place in RAM.
 * Logs one line naming the file on failure. */
int boot_load(struct vm *vm, struct boot_entry *entry);

/* The command line the kernel gets for CFG, byte for byte: what boot_load
 * writes and what the vTPM measures. */
const char *boot_cmdline(const struct vm_config *cfg);

/* Check, before any VM exists, that PATH is a kernel partvm can boot in
 * MEMORY bytes of RAM (format, truncation, fit). Logs one line naming the
 * file and returns a negative errno when it is not. */
int boot_check_kernel(const char *path, uint64_t memory);

/* The same for a UEFI firmware (core/boot/firmware.h). */
int boot_check_firmware(const char *path, uint64_t memory);

/* Write the flat GDT (code, data, TSS) both protocols start with. */
void boot_write_gdt(void *gdt_page, enum boot_mode mode);

/* The embedded test guest's ELF. */
extern const unsigned char testguest_elf_start[];
extern const unsigned char testguest_elf_end[];

#endif
