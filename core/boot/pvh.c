// SPDX-License-Identifier: GPL-2.0-only
#include "core/boot/pvh.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "core/util/cleanup.h"

/* Notes are small; anything bigger than this is not what we look for. */
#define NOTE_MAX 4096

int pvh_is_elf(const uint8_t *head, size_t len)
{
	return len >= SELFMAG && !memcmp(head, ELFMAG, SELFMAG);
}

static int find_entry_in_notes(const uint8_t *n, size_t len, uint32_t *entry)
{
	size_t off = 0;

	while (len - off >= sizeof(Elf32_Nhdr)) {
		const Elf32_Nhdr *h = (const Elf32_Nhdr *)(n + off);
		size_t name = (h->n_namesz + 3) & ~3U, desc = (h->n_descsz + 3) & ~3U;
		size_t body = off + sizeof(*h);

		if (name > len - body || desc > len - body - name)
			return -EIO;
		if (h->n_type == XEN_ELFNOTE_PHYS32_ENTRY && h->n_namesz == 4 &&
		    !memcmp(n + body, "Xen", 4)) {
			const uint8_t *d = n + body + name;

			/* The entry is a 32-bit address; 64-bit kernels store it
			 * in a 64-bit word (_ASM_PTR). */
			if (h->n_descsz == 8) {
				uint64_t v;

				memcpy(&v, d, 8);
				if (v >> 32)
					return -ERANGE;
				*entry = (uint32_t)v;
			} else if (h->n_descsz == 4) {
				memcpy(entry, d, 4);
			} else {
				return -EIO;
			}
			return 1;
		}
		off = body + name + desc;
	}
	return 0;
}

static int parse(const struct boot_image *img, struct pvh_info *info, const char **why,
		 bool firmware)
{
	unsigned char ident[EI_NIDENT];
	uint64_t phoff;
	unsigned phnum, phentsize;
	bool is64, found = false;
	int r;

	memset(info, 0, sizeof(*info));
	r = boot_image_read(img, 0, ident, sizeof(ident));
	if (r < 0 || memcmp(ident, ELFMAG, SELFMAG)) {
		*why = "not an ELF file";
		return -ENOEXEC;
	}
	if (ident[EI_DATA] != ELFDATA2LSB || (ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64)) {
		*why = "not a little-endian 32/64-bit ELF";
		return -ENOEXEC;
	}
	is64 = ident[EI_CLASS] == ELFCLASS64;
	if (is64) {
		Elf64_Ehdr eh;

		if (boot_image_read(img, 0, &eh, sizeof(eh)) < 0)
			goto truncated;
		/* edk2's ELF header for its PVH platforms (OvmfPkg's
		 * XenElfHeader) says ELFCLASS64 with EM_386. */
		if (eh.e_machine != EM_X86_64 && !(firmware && eh.e_machine == EM_386))
			goto wrong_machine;
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
		if (phentsize != sizeof(Elf64_Phdr))
			goto bad;
	} else {
		Elf32_Ehdr eh;

		if (boot_image_read(img, 0, &eh, sizeof(eh)) < 0)
			goto truncated;
		if (eh.e_machine != EM_386 && eh.e_machine != EM_X86_64)
			goto wrong_machine;
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
		if (phentsize != sizeof(Elf32_Phdr))
			goto bad;
	}
	if (phnum == 0 || phnum > 64)
		goto bad;

	for (unsigned i = 0; i < phnum; i++) {
		uint64_t type, off, filesz, paddr, memsz;

		if (is64) {
			Elf64_Phdr ph;

			if (boot_image_read(img, phoff + (uint64_t)i * phentsize, &ph, sizeof(ph)) < 0)
				goto truncated;
			type = ph.p_type, off = ph.p_offset, filesz = ph.p_filesz;
			paddr = ph.p_paddr, memsz = ph.p_memsz;
		} else {
			Elf32_Phdr ph;

			if (boot_image_read(img, phoff + (uint64_t)i * phentsize, &ph, sizeof(ph)) < 0)
				goto truncated;
			type = ph.p_type, off = ph.p_offset, filesz = ph.p_filesz;
			paddr = ph.p_paddr, memsz = ph.p_memsz;
		}
		if (off + filesz < off || off + filesz > img->size)
			goto truncated;
		if (type == PT_LOAD && filesz > memsz)
			goto bad;
		if (type == PT_LOAD && memsz) {
			if (info->nseg == PVH_MAX_SEGMENTS)
				goto bad;
			if (paddr + memsz < paddr)
				goto bad;
			info->seg[info->nseg++] = (struct pvh_segment){ off, filesz, paddr, memsz };
			if (paddr + memsz > info->end)
				info->end = paddr + memsz;
		} else if (type == PT_NOTE && filesz && !found) {
			_cleanup_free_ uint8_t *notes = NULL;

			if (filesz > NOTE_MAX * 16)
				continue;
			notes = malloc(filesz);
			if (!notes)
				return -ENOMEM;
			if (boot_image_read(img, off, notes, filesz) < 0)
				goto truncated;
			r = find_entry_in_notes(notes, filesz, &info->entry);
			if (r < 0)
				goto bad;
			found = r > 0;
		}
	}
	if (!found) {
		*why = firmware ? "an ELF without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY), so not "
				  "a firmware partvm can start"
				: "an ELF without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); "
				  "a Linux vmlinux needs CONFIG_PVH=y";
		return -ENOEXEC;
	}
	if (info->nseg == 0) {
		*why = "an ELF with no loadable segment";
		return -ENOEXEC;
	}
	return 0;

truncated:
	*why = "truncated ELF (headers point past the end of the file)";
	return -EIO;
wrong_machine:
	*why = "an ELF for another architecture";
	return -ENOEXEC;
bad:
	*why = "malformed ELF headers";
	return -ENOEXEC;
}

int pvh_parse(const struct boot_image *img, struct pvh_info *info, const char **why)
{
	return parse(img, info, why, false);
}

int pvh_parse_firmware(const struct boot_image *img, struct pvh_info *info, const char **why)
{
	return parse(img, info, why, true);
}

int pvh_build_start_info(void *buf, size_t len, uint64_t buf_gpa, uint64_t cmdline_gpa,
			 uint64_t initrd_gpa, uint64_t initrd_size, const struct mem_layout *l,
			 uint64_t rsdp_gpa)
{
	struct hvm_start_info *si = buf;
	size_t off = sizeof(*si);
	struct hvm_memmap_table_entry *mm;
	unsigned nmod = initrd_size ? 1 : 0;

	if (len < sizeof(*si) + nmod * sizeof(struct hvm_modlist_entry) +
			  l->ne820 * sizeof(*mm))
		return -ENOSPC;
	memset(buf, 0, len);
	si->magic = HVM_START_MAGIC;
	si->version = 1;
	si->cmdline_paddr = cmdline_gpa;
	si->rsdp_paddr = rsdp_gpa;
	if (nmod) {
		struct hvm_modlist_entry *m = (void *)((uint8_t *)buf + off);

		m->paddr = initrd_gpa;
		m->size = initrd_size;
		si->nr_modules = 1;
		si->modlist_paddr = buf_gpa + off;
		off += sizeof(*m);
	}
	mm = (void *)((uint8_t *)buf + off);
	for (unsigned i = 0; i < l->ne820; i++)
		mm[i] = (struct hvm_memmap_table_entry){ l->e820[i].addr, l->e820[i].size,
							 l->e820[i].type, 0 };
	si->memmap_paddr = buf_gpa + off;
	si->memmap_entries = l->ne820;
	off += l->ne820 * sizeof(*mm);
	return (int)off;
}
