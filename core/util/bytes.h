/* SPDX-License-Identifier: GPL-2.0-only */
/* Little-endian fields of N (1..8) bytes: PCI config space, MSI
 * capabilities, the TCG event log; sizes for messages. */
#ifndef PARTVM_BYTES_H
#define PARTVM_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/* "16 GiB", "4 KiB", "1536 bytes": V in the largest unit that divides it. */
static inline const char *bytes_format_size(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;

	while (v >= 1024 && !(v % 1024) && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)v, units[u]);
	return buf;
}

#endif
