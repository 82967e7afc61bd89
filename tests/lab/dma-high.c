// SPDX-License-Identifier: GPL-2.0-only
/* Inside an L2 guest: DMA to and from guest RAM above 4 GiB, proven page by
 * page. Allocates and locks MIB MiB, finds through /proc/self/pagemap the
 * pages whose physical frame is at or above 4 GiB, and uses up to COUNT of
 * them as O_DIRECT buffers (no bounce: the device DMAs into these very
 * frames): each gets its own pattern and is written to DEV at its own 4 KiB
 * block, then each is zeroed and read back from its block, and compared.
 * The blocks as written also go to EXPECTED, for a sha256 to compare with
 * what the device holds.
 *   dma-high DEV EXPECTED MIB COUNT
 *   -> "dma-high: N pages above 4 GiB (frames 0xA-0xB), written and read
 *       back intact" (exit 0), or what went wrong (exit 1) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096UL
#define PFN_4G 0x100000ULL

static void fill(uint8_t *p, size_t block)
{
	uint64_t *q = (uint64_t *)p;

	for (size_t i = 0; i < PAGE / 8; i++)
		q[i] = (block * 0x9e3779b97f4a7c15ULL) ^ (i * 0xbf58476d1ce4e5b9ULL) ^ 0x5a5a5a5a5a5a5a5aULL;
}

int main(int argc, char **argv)
{
	size_t len, pages, count, n = 0;
	uint64_t lo = UINT64_MAX, hi = 0, *pfn;
	uint8_t **high, *buf, expect[PAGE];
	int pm, dev;
	FILE *out;

	if (argc != 5) {
		fprintf(stderr, "usage: dma-high DEV EXPECTED MIB COUNT\n");
		return 2;
	}
	len = strtoul(argv[3], NULL, 10) << 20;
	count = strtoul(argv[4], NULL, 10);
	pages = len / PAGE;
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED || mlock(buf, len)) {
		perror("dma-high: mmap/mlock");
		return 1;
	}
	pfn = calloc(pages, sizeof(*pfn));
	high = calloc(count, sizeof(*high));
	pm = open("/proc/self/pagemap", O_RDONLY);
	if (!pfn || !high || pm < 0 ||
	    pread(pm, pfn, pages * sizeof(*pfn), (off_t)((uintptr_t)buf / PAGE * 8)) != (ssize_t)(pages * 8)) {
		perror("dma-high: pagemap");
		return 1;
	}
	for (size_t i = 0; i < pages && n < count; i++) {
		uint64_t f = pfn[i] & ((1ULL << 55) - 1);

		if (!(pfn[i] >> 63) || !f) {
			fprintf(stderr, "dma-high: page %zu: no frame in pagemap (0x%llx)\n", i,
				(unsigned long long)pfn[i]);
			return 1;
		}
		if (f < PFN_4G)
			continue;
		high[n++] = buf + i * PAGE;
		lo = f < lo ? f : lo;
		hi = f > hi ? f : hi;
	}
	if (n < count) {
		printf("dma-high: only %zu of %zu MiB's pages lie above 4 GiB, wanted %zu\n", n, len >> 20, count);
		return 1;
	}
	dev = open(argv[1], O_RDWR | O_DIRECT);
	out = fopen(argv[2], "w");
	if (dev < 0 || !out) {
		perror("dma-high: open");
		return 1;
	}
	for (size_t b = 0; b < n; b++) {
		fill(high[b], b);
		if (fwrite(high[b], PAGE, 1, out) != 1 ||
		    pwrite(dev, high[b], PAGE, (off_t)(b * PAGE)) != (ssize_t)PAGE) {
			printf("dma-high: writing block %zu: %s\n", b, strerror(errno));
			return 1;
		}
	}
	if (fclose(out)) {
		perror("dma-high: expected file");
		return 1;
	}
	/* Read each block back into another high page than it came from. */
	for (size_t b = 0; b < n; b++) {
		uint8_t *p = high[(b + 1) % n];

		memset(p, 0, PAGE);
		if (pread(dev, p, PAGE, (off_t)(b * PAGE)) != (ssize_t)PAGE) {
			printf("dma-high: reading block %zu: %s\n", b, strerror(errno));
			return 1;
		}
		fill(expect, b);
		if (memcmp(p, expect, PAGE)) {
			printf("dma-high: block %zu read back into frame above 4 GiB differs\n", b);
			return 1;
		}
	}
	printf("dma-high: %zu pages above 4 GiB (frames 0x%llx-0x%llx), written and read back intact\n", n,
	       (unsigned long long)lo, (unsigned long long)hi);
	return 0;
}
