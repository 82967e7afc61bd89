/* SPDX-License-Identifier: GPL-2.0-only */
/* Little-endian fields of N (1..8) bytes: PCI config space, MSI
 * capabilities, the TCG event log. */
#ifndef PARTVM_BYTES_H
#define PARTVM_BYTES_H

#include <stdint.h>

static inline uint64_t le_get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static inline void le_put(uint8_t *p, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#endif
