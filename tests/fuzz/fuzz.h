/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the fuzz targets share: reading the input as little-endian fields
 * (missing bytes read as zero), and a private scratch directory under /tmp
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
