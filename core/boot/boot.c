// SPDX-License-Identifier: GPL-2.0-only
#include "core/boot/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/boot/bzimage.h"
#include "core/boot/firmware.h"
#include "core/boot/image.h"
#include "core/boot/pvh.h"
#include "core/util/cleanup.h"
#include "core/vm/layout.h"
#include "core/util/log.h"
#include "core/vm/vm.h"

/* Page-table entry bits. */
#define PTE_PRESENT  (1ULL << 0)
#define PTE_WRITE    (1ULL << 1)
#define PTE_HUGE     (1ULL << 7)

int boot_image_read(const struct boot_image *img, uint64_t off, void *buf, size_t len)
{
	if (off > img->size || len > img->size - off)
		return -EIO;
	if (img->fd < 0) {
		memcpy(buf, img->mem + off, len);
		return 0;
	}
	while (len) {
		ssize_t n = pread(img->fd, buf, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		buf = (uint8_t *)buf + n;
		off += n;
		len -= n;
	}
	return 0;
}

const char *boot_cmdline(const struct vm_config *cfg)
{
	return cfg->cmdline ? cfg->cmdline : "";
}

enum boot_format boot_detect(const void *image, size_t len)
{
	const uint8_t *p = image;

	if (len >= 0x206 && p[0x1fe] == 0x55 && p[0x1ff] == 0xaa && !memcmp(p + 0x202, "HdrS", 4))
		return BOOT_FORMAT_BZIMAGE;
	if (pvh_is_elf(p, len))
		return BOOT_FORMAT_PVH;
	return BOOT_FORMAT_UNKNOWN;
}

void boot_write_gdt(void *gdt_page, enum boot_mode mode)
{
	uint64_t *gdt = gdt_page;

	memset(gdt, 0, 6 * 8);
	/* 0x10: flat code, 64-bit (L) for the Linux 64-bit entry, 32-bit
	 * (D) for PVH; 0x18: flat data; 0x20: a 0x67-byte busy TSS. */
	gdt[BOOT_GDT_CODE / 8] = mode == BOOT_MODE_LONG ? 0x00af9b000000ffffULL : 0x00cf9b000000ffffULL;
	gdt[BOOT_GDT_DATA / 8] = 0x00cf93000000ffffULL;
	gdt[BOOT_GDT_TSS / 8] = 0x00008b0000000067ULL;
}

/* Identity-map the first 4 GiB with 2 MiB pages: PML4, PDPT, four PDs. */
static int write_page_tables(struct vm *vm, uint64_t *cr3)
{
	uint64_t *pml4 = vm_guest_ptr(vm, BOOT_PML4_ADDR, 6 * 4096);
	uint64_t *pdpt, *pd;

	if (!pml4)
		return -ENOMEM;
	memset(pml4, 0, 6 * 4096);
	pdpt = pml4 + 512;
	pd = pdpt + 512;
	pml4[0] = (BOOT_PML4_ADDR + 0x1000) | PTE_PRESENT | PTE_WRITE;
	for (unsigned i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PML4_ADDR + 0x2000 + i * 0x1000) | PTE_PRESENT | PTE_WRITE;
	for (unsigned i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_PRESENT | PTE_WRITE | PTE_HUGE;
	*cr3 = BOOT_PML4_ADDR;
	return 0;
}

/* Copy LEN bytes at OFF of IMG to guest-physical GPA. */
static int copy_to_guest(struct vm *vm, const struct boot_image *img, uint64_t off, uint64_t len,
			 uint64_t gpa)
{
	void *dst = vm_guest_ptr(vm, gpa, len);

	if (!dst)
		return -ERANGE;
	return boot_image_read(img, off, dst, len);
}

/* KEPT: the file opened once before partvm gave up root (vm->boot_fds),
 * or -1: each boot reads a copy of that descriptor, not the path again. */
static int open_image(struct boot_image *img, int kept, const char *path, const char *what)
{
	struct stat st;
	int fd;

	fd = kept >= 0 ? fcntl(kept, F_DUPFD_CLOEXEC, 0) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "%s '%s': cannot open: %m", what, path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return log_error_errno(-EINVAL, "%s '%s': not a regular file", what, path);
	}
	*img = (struct boot_image){ .name = path, .fd = fd, .size = (uint64_t)st.st_size };
	return 0;
}

/* Load the initrd high in low RAM, below LIMIT and above FLOOR. */
static int load_initrd(struct vm *vm, uint64_t floor, uint64_t limit, uint64_t *addr,
		       uint64_t *size)
{
	const char *path = vm->cfg->initrd;
	struct boot_image img;
	uint64_t top = vm->mem.layout.low_end, a;
	int r;

	*addr = *size = 0;
	if (!path)
		return 0;
	r = open_image(&img, vm->boot_fds_kept ? vm->boot_fds[1] : -1, path, "initrd");
	if (r < 0)
		return r;
	if (limit && limit < top)
		top = limit;
	if (img.size > top || ((top - img.size) & ~4095ULL) < floor) {
		close(img.fd);
		return log_error_errno(-ENOMEM,
				       "initrd '%s': %llu MiB do not fit in guest RAM below %#llx "
				       "beside the kernel; give the guest more memory",
				       path, (unsigned long long)(img.size >> 20),
				       (unsigned long long)top);
	}
	a = (top - img.size) & ~4095ULL;
	r = copy_to_guest(vm, &img, 0, img.size, a);
	close(img.fd);
	if (r < 0)
		return log_error_errno(r, "initrd '%s': cannot read: %m", path);
	*addr = a;
	*size = img.size;
	if (vm->keep_loaded) {
		vm->loaded.initrd = vm_guest_ptr(vm, a, img.size);
		vm->loaded.initrd_len = img.size;
	}
	return 0;
}

static int write_cmdline(struct vm *vm, const char *cmdline, uint64_t max)
{
	size_t len = strlen(cmdline);
	char *dst;

	if (len + 1 > BOOT_CMDLINE_MAX || len > max)
		return log_error_errno(-E2BIG, "kernel command line is %zu bytes; the kernel takes at most %llu",
				       len, (unsigned long long)max);
	dst = vm_guest_ptr(vm, BOOT_CMDLINE_ADDR, len + 1);
	if (!dst)
		return -ENOMEM;
	memcpy(dst, cmdline, len + 1);
	return 0;
}

static int load_bzimage(struct vm *vm, const struct boot_image *img, struct boot_entry *e)
{
	uint8_t head[BZIMAGE_HEAD_LEN];
	struct bzimage_info bi;
	struct boot_params *bp;
	uint64_t initrd_addr, initrd_size;
	const char *why = "";
	int r;

	r = boot_image_read(img, 0, head, sizeof(head));
	if (r < 0)
		return log_error_errno(-EIO, "kernel '%s': truncated bzImage (%llu bytes)", img->name,
				       (unsigned long long)img->size);
	r = bzimage_parse(head, sizeof(head), img->size, vm->mem.layout.low_end, &bi, &why);
	if (r == -ENOMEM)
		return log_error_errno(r, "kernel '%s' needs at least %llu MiB of guest RAM (it runs "
				       "at %llu MiB and uses %llu MiB from there); use --memory",
				       img->name, (unsigned long long)((bi.load_addr + bi.init_size) >> 20) + 1,
				       (unsigned long long)(bi.load_addr >> 20),
				       (unsigned long long)(bi.init_size >> 20));
	if (r < 0)
		return log_error_errno(r, "kernel '%s': %s", img->name, why);
	r = copy_to_guest(vm, img, bi.setup_len, bi.payload_len, bi.load_addr);
	if (r < 0)
		return log_error_errno(r, "kernel '%s': cannot load: %m", img->name);

	r = write_cmdline(vm, boot_cmdline(vm->cfg), bi.cmdline_max);
	if (r < 0)
		return r;
	r = load_initrd(vm, bi.load_addr + bi.init_size, (uint64_t)bi.initrd_addr_max + 1,
			&initrd_addr, &initrd_size);
	if (r < 0)
		return r;

	bp = vm_guest_ptr(vm, BOOT_ZERO_PAGE_ADDR, sizeof(*bp));
	if (!bp)
		return -ENOMEM;
	bzimage_build_boot_params(&bi, bp, BOOT_CMDLINE_ADDR, initrd_addr, initrd_size,
				  &vm->mem.layout, vm->rsdp_gpa);

	r = write_page_tables(vm, &e->cr3);
	if (r < 0)
		return r;
	e->mode = BOOT_MODE_LONG;
	e->ip = bi.load_addr + 0x200;   /* the 64-bit entry (boot protocol 2.12) */
	e->arg = BOOT_ZERO_PAGE_ADDR;
	e->sp = BOOT_STACK_ADDR;
	return 0;
}

/* Copy an ELF's loadable segments to guest RAM above 1 MiB. WHAT names
 * the file in messages. */
static int load_segments(struct vm *vm, const struct boot_image *img, const struct pvh_info *pi,
			 const char *what)
{
	for (unsigned i = 0; i < pi->nseg; i++) {
		const struct pvh_segment *s = &pi->seg[i];
		uint8_t *dst = vm_guest_ptr(vm, s->paddr, s->memsz);
		int r;

		if (!dst || s->paddr < LAYOUT_HIGH_MEMORY_START)
			return log_error_errno(-ERANGE,
					       "%s '%s': segment at %#llx (%llu KiB) is outside guest RAM",
					       what, img->name, (unsigned long long)s->paddr,
					       (unsigned long long)(s->memsz >> 10));
		r = boot_image_read(img, s->offset, dst, s->filesz);
		if (r < 0)
			return log_error_errno(r, "%s '%s': cannot load: %m", what, img->name);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
	}
	return 0;
}

/* The PVH start info (command line, initrd, memory map, RSDP) and the
 * 32-bit entry at ENTRY with EBX pointing at it. */
static int enter_pvh(struct vm *vm, struct boot_entry *e, uint32_t entry, uint64_t cmdline_gpa,
		     uint64_t initrd_addr, uint64_t initrd_size)
{
	void *si = vm_guest_ptr(vm, BOOT_START_INFO_ADDR, BOOT_ZERO_PAGE_ADDR - BOOT_START_INFO_ADDR);
	int r;

	if (!si)
		return -ENOMEM;
	r = pvh_build_start_info(si, BOOT_ZERO_PAGE_ADDR - BOOT_START_INFO_ADDR, BOOT_START_INFO_ADDR,
				 cmdline_gpa, initrd_addr, initrd_size, &vm->mem.layout, vm->rsdp_gpa);
	if (r < 0)
		return r;
	e->mode = BOOT_MODE_PROTECTED;
	e->ip = entry;
	e->arg = BOOT_START_INFO_ADDR;
	e->sp = BOOT_STACK_ADDR;
	e->cr3 = 0;
	return 0;
}

/* The firmware gets what a PVH kernel gets but a command line and modules:
 * the memory map and the RSDP, from which it installs our ACPI tables. */
static int load_firmware(struct vm *vm, const struct boot_image *img, struct boot_entry *e)
{
	struct pvh_info pi;
	const char *why = "";
	int r;

	r = firmware_parse(img, &pi, &why);
	if (r < 0)
		return log_error_errno(r, "firmware '%s': %s", img->name, why);
	r = load_segments(vm, img, &pi, "firmware");
	if (r < 0)
		return r;
	return enter_pvh(vm, e, pi.entry, 0, 0, 0);
}

static int load_pvh(struct vm *vm, const struct boot_image *img, struct boot_entry *e)
{
	struct pvh_info pi;
	uint64_t initrd_addr, initrd_size;
	const char *why = "";
	int r;

	r = pvh_parse(img, &pi, &why);
	if (r < 0)
		return log_error_errno(r, "kernel '%s': %s", img->name, why);
	r = load_segments(vm, img, &pi, "kernel");
	if (r < 0)
		return r;

	r = write_cmdline(vm, boot_cmdline(vm->cfg), BOOT_CMDLINE_MAX - 1);
	if (r < 0)
		return r;
	r = load_initrd(vm, (pi.end + 4095) & ~4095ULL, 0, &initrd_addr, &initrd_size);
	if (r < 0)
		return r;

	return enter_pvh(vm, e, pi.entry, BOOT_CMDLINE_ADDR, initrd_addr, initrd_size);
}

/* Does a PVH ELF, up to the end of its highest segment, fit in RAM below
 * the PCI hole? */
static int check_fits(const char *what, const char *path, const struct pvh_info *pi,
		      const struct mem_layout *l)
{
	if (pi->end <= l->low_end)
		return 0;
	return log_error_errno(-ENOMEM, "%s '%s' needs at least %llu MiB of guest RAM; use --memory",
			       what, path, (unsigned long long)(pi->end >> 20) + 1);
}

int boot_check_kernel(const char *path, uint64_t memory)
{
	uint8_t head[BZIMAGE_HEAD_LEN] = { 0 };
	struct mem_layout l;
	struct boot_image img;
	struct bzimage_info bi;
	struct pvh_info pi;
	const char *why = "";
	size_t head_len;
	int r;

	r = memory_layout_init(&l, memory, LAYOUT_DIRECT_BOOT);
	if (r < 0)
		return r;
	r = open_image(&img, -1, path, "kernel");
	if (r < 0)
		return r;
	head_len = img.size < sizeof(head) ? (size_t)img.size : sizeof(head);
	r = boot_image_read(&img, 0, head, head_len);
	if (r < 0) {
		log_error_errno(r, "kernel '%s': cannot read: %m", path);
		goto out;
	}
	switch (boot_detect(head, head_len)) {
	case BOOT_FORMAT_BZIMAGE:
		r = bzimage_parse(head, head_len, img.size, l.low_end, &bi, &why);
		if (r == -ENOMEM)
			log_error("kernel '%s' needs at least %llu MiB of guest RAM (it runs at %llu MiB "
				  "and uses %llu MiB from there); use --memory", path,
				  (unsigned long long)((bi.load_addr + bi.init_size) >> 20) + 1,
				  (unsigned long long)(bi.load_addr >> 20),
				  (unsigned long long)(bi.init_size >> 20));
		else if (r < 0)
			log_error("kernel '%s': %s", path, why);
		break;
	case BOOT_FORMAT_PVH:
		r = pvh_parse(&img, &pi, &why);
		if (r < 0)
			log_error("kernel '%s': %s", path, why);
		else
			r = check_fits("kernel", path, &pi, &l);
		break;
	default:
		r = log_error_errno(-ENOEXEC, "kernel '%s': not a kernel partvm can boot (neither a "
					      "bzImage nor a PVH ELF)", path);
		break;
	}
out:
	close(img.fd);
	return r;
}

int boot_check_firmware(const char *path, uint64_t memory)
{
	struct mem_layout l;
	struct boot_image img;
	struct pvh_info pi;
	const char *why = "";
	int r;

	r = memory_layout_init(&l, memory, LAYOUT_FIRMWARE);
	if (r < 0)
		return r;
	r = open_image(&img, -1, path, "firmware");
	if (r < 0)
		return r;
	r = firmware_parse(&img, &pi, &why);
	if (r < 0)
		log_error("firmware '%s': %s", path, why);
	else
		r = check_fits("firmware", path, &pi, &l);
	close(img.fd);
	return r;
}

void boot_loaded_free(struct boot_loaded *l)
{
	free(l->kernel_buf);
	memset(l, 0, sizeof(*l));
}

/* Replace IMG's file by a copy of its bytes in memory, kept in LOADED: what
 * is loaded and what is measured are then the same bytes, read once. */
static int keep_image(struct boot_image *img, struct boot_loaded *loaded)
{
	uint8_t *buf;
	int r;

	if (img->size > SIZE_MAX || !(buf = malloc(img->size ? (size_t)img->size : 1)))
		return log_error_errno(-ENOMEM, "kernel '%s': no memory for its %llu MiB", img->name,
				       (unsigned long long)(img->size >> 20));
	r = boot_image_read(img, 0, buf, (size_t)img->size);
	if (r < 0) {
		free(buf);
		return log_error_errno(r, "kernel '%s': cannot read: %m", img->name);
	}
	close(img->fd);
	img->fd = -1;
	img->mem = buf;
	loaded->kernel_buf = buf;
	return 0;
}

int boot_load(struct vm *vm, struct boot_entry *e)
{
	struct boot_image img = {
		.name = "embedded test guest",
		.fd = -1,
		.mem = testguest_elf_start,
		.size = (uint64_t)(testguest_elf_end - testguest_elf_start),
	};
	uint8_t head[BZIMAGE_HEAD_LEN] = { 0 };
	size_t head_len;
	void *gdt;
	int r;

	boot_loaded_free(&vm->loaded);
	if (vm->cfg->firmware) {
		r = open_image(&img, vm->boot_fds_kept ? vm->boot_fds[0] : -1, vm->cfg->firmware,
			       "firmware");
		if (r < 0)
			return r;
		r = load_firmware(vm, &img, e);
		goto loaded;
	}
	if (vm->cfg->kernel) {
		r = open_image(&img, vm->boot_fds_kept ? vm->boot_fds[0] : -1, vm->cfg->kernel, "kernel");
		if (r < 0)
			return r;
		if (vm->keep_loaded) {
			r = keep_image(&img, &vm->loaded);
			if (r < 0)
				goto out;
		}
	}
	if (vm->keep_loaded) {
		vm->loaded.kernel = img.mem;
		vm->loaded.kernel_len = (size_t)img.size;
	}
	head_len = img.size < sizeof(head) ? (size_t)img.size : sizeof(head);
	r = boot_image_read(&img, 0, head, head_len);
	if (r < 0) {
		log_error_errno(r, "kernel '%s': cannot read: %m", img.name);
		goto out;
	}
	switch (boot_detect(head, head_len)) {
	case BOOT_FORMAT_BZIMAGE:
		r = load_bzimage(vm, &img, e);
		break;
	case BOOT_FORMAT_PVH:
		r = load_pvh(vm, &img, e);
		break;
	default:
		r = log_error_errno(-ENOEXEC,
				    "kernel '%s': not a kernel partvm can boot (neither a bzImage "
				    "nor a PVH ELF)", img.name);
		break;
	}
loaded:
	if (r < 0)
		goto out;
	gdt = vm_guest_ptr(vm, BOOT_GDT_ADDR, 6 * 8);
	if (!gdt) {
		r = -ENOMEM;
		goto out;
	}
	boot_write_gdt(gdt, e->mode);
out:
	if (img.fd >= 0)
		close(img.fd);
	if (r < 0)
		boot_loaded_free(&vm->loaded);
	return r;
}
