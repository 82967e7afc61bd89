/* SPDX-License-Identifier: GPL-2.0-only */
/* A kernel image read by offset, from a file or from memory (the embedded
 * test guest), so loaders copy segments straight into guest RAM. */
#ifndef PARTVM_BOOT_IMAGE_H
#define PARTVM_BOOT_IMAGE_H

#include <stddef.h>
#include <stdint.h>

struct boot_image {
	const char *name;          /* for messages */
	int fd;                    /* -1 for an image in memory */
	const uint8_t *mem;
	uint64_t size;
};

/* Read exactly LEN bytes at OFF. -EIO for a short file, -errno otherwise. */
int boot_image_read(const struct boot_image *img, uint64_t off, void *buf, size_t len);

#endif
