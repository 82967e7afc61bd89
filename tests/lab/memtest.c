// SPDX-License-Identifier: GPL-2.0-only
/* A memtest-style pass for a guest: fill SIZE MiB with an address-derived
 * pattern, read it back, then the inverse pattern, and report mismatches.
 *   memtest MIB   -> "memtest: MIB MiB ok" or "memtest: N errors" (exit 1) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static unsigned long check(uint64_t *p, size_t n, uint64_t flip)
{
	unsigned long errors = 0;

	for (size_t i = 0; i < n; i++)
		p[i] = (i * 0x9e3779b97f4a7c15ULL) ^ flip;
	for (size_t i = 0; i < n; i++)
		if (p[i] != ((i * 0x9e3779b97f4a7c15ULL) ^ flip))
			errors++;
	return errors;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
	size_t len = mib << 20;
	unsigned long errors;
	uint64_t *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED) {
		perror("memtest: mmap");
		return 2;
	}
	errors = check(p, len / 8, 0) + check(p, len / 8, ~0ULL);
	if (errors) {
		printf("memtest: %lu errors in %zu MiB\n", errors, mib);
		return 1;
	}
	printf("memtest: %zu MiB ok\n", mib);
	return 0;
}
