/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the fuzz targets share: reading the input as little-endian fields
 * (missing bytes read as zero), writing guest RAM and split-ring
 * descriptors as a guest does, and a private scratch directory under /tmp
 * that goes away at exit with everything in it. Header-only: a target is
 * one file.
 */
#ifndef PARTVM_FUZZ_H
#define PARTVM_FUZZ_H

#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm/memory.h"

struct fuzz_input {
	const uint8_t *p;
	size_t n;
};

/* The next BYTES (at most 8) bytes of IN as a little-endian number. */
static inline uint64_t fuzz_take(struct fuzz_input *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}

/* The guest writes LEN bytes at GPA of MEM, where that is its RAM. */
static inline void fuzz_guest_write(const struct guest_memory *mem, uint64_t gpa, const void *buf,
				    size_t len)
{
	void *p = memory_guest_ptr(mem, gpa, len);

	if (p)
		memcpy(p, buf, len);
}

/* The guest fills descriptor I of the split-ring TABLE at GPA TABLE. */
static inline void fuzz_put_desc(const struct guest_memory *mem, uint64_t table, unsigned i,
				 uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t d[16];

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
	fuzz_guest_write(mem, table + 16 * (uint64_t)i, d, sizeof(d));
}

static char fuzz_scratch[64];

static inline int fuzz_remove_one(const char *path, const struct stat *st, int type,
				  struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	remove(path);
	return 0;
}

static inline void fuzz_scratch_remove(void)
{
	nftw(fuzz_scratch, fuzz_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Make /tmp/NAME.XXXXXX (once per process) and return it; it is removed
 * with its contents at exit. Aborts when it cannot be made. */
static inline const char *fuzz_scratch_dir(const char *name)
{
	if (fuzz_scratch[0])
		return fuzz_scratch;
	snprintf(fuzz_scratch, sizeof(fuzz_scratch), "/tmp/%s.XXXXXX", name);
	if (!mkdtemp(fuzz_scratch))
		abort();
	atexit(fuzz_scratch_remove);
	return fuzz_scratch;
}

#endif
