// SPDX-License-Identifier: GPL-2.0-only
#include "core/boot/firmware.h"

#include <errno.h>
#include <string.h>

/* PI spec vol. 3, 3.2.1: EFI_FIRMWARE_VOLUME_HEADER, as far as we look. */
#define FV_LENGTH_OFFSET    0x20
#define FV_SIGNATURE_OFFSET 0x28
#define FV_HEADER_MIN       0x48
/* Volumes in an edk2 flash device start on a block boundary. */
#define FV_ALIGN            0x1000

/* Is there a firmware volume header at OFF of IMG that fits in LIMIT? */
static bool volume_at(const struct boot_image *img, uint64_t off, uint64_t limit)
{
	uint8_t h[FV_SIGNATURE_OFFSET + 4];
	uint64_t len;

	if (limit - off < FV_HEADER_MIN || boot_image_read(img, off, h, sizeof(h)) < 0)
		return false;
	memcpy(&len, h + FV_LENGTH_OFFSET, sizeof(len));
	return !memcmp(h + FV_SIGNATURE_OFFSET, "_FVH", 4) && len >= FV_HEADER_MIN &&
	       len <= limit - off;
}

int firmware_parse(const struct boot_image *img, struct pvh_info *info, const char **why)
{
	uint8_t head[4];
	int r;

	if (boot_image_read(img, 0, head, sizeof(head)) < 0 || !pvh_is_elf(head, sizeof(head))) {
		*why = volume_at(img, 0, img->size)
			       ? "a flash image made for QEMU's platform (as Debian's OVMF_CODE.fd); "
				 "partvm starts a PVH ELF, edk2's CloudHv platform, which 'make "
				 "firmware' builds"
			       : "not a PVH ELF (edk2's CloudHv platform, which 'make firmware' "
				 "builds)";
		return -ENOEXEC;
	}
	r = pvh_parse_firmware(img, info, why);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < info->nseg; i++) {
		const struct pvh_segment *s = &info->seg[i];

		for (uint64_t off = 0; off < s->filesz; off += FV_ALIGN)
			if (volume_at(img, s->offset + off, s->offset + s->filesz))
				return 0;
	}
	*why = "a PVH ELF with no UEFI firmware volume in it (a kernel? boot that with --kernel)";
	return -ENOEXEC;
}
