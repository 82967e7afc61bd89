// SPDX-License-Identifier: GPL-2.0-only
/* Inside an L2 guest: write or read bytes of a PCI function's memory BAR N
 * through /sys/bus/pci/devices/BDF/resourceN, with no driver bound. The
 * device's memory decoding must be on (echo 1 > .../enable).
 *   bar-mem BDF N OFFSET write HEX   write the bytes HEX spells at OFFSET
 *   bar-mem BDF N OFFSET read LEN    -> the LEN bytes at OFFSET, in hex
 * Each byte is one access through a volatile pointer, as a guest program
 * would make it, so nothing is cached or merged on the way. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int main(int argc, char **argv)
{
	unsigned long long off, len, base, span;
	volatile uint8_t *p;
	char path[128];
	struct stat st;
	long page = sysconf(_SC_PAGESIZE);
	bool write_mode;
	uint8_t *map;
	int fd;

	if (argc != 6 || (strcmp(argv[4], "write") && strcmp(argv[4], "read"))) {
		fprintf(stderr, "usage: bar-mem BDF N OFFSET write HEX | bar-mem BDF N OFFSET read LEN\n");
		return 2;
	}
	write_mode = !strcmp(argv[4], "write");
	off = strtoull(argv[3], NULL, 0);
	len = write_mode ? strlen(argv[5]) / 2 : strtoull(argv[5], NULL, 0);
	if (len == 0 || (write_mode && strlen(argv[5]) % 2)) {
		fprintf(stderr, "bar-mem: nothing to do, or HEX of an odd length\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource%s", argv[1], argv[2]);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(path);
		return 1;
	}
	if (off + len < off || off + len > (unsigned long long)st.st_size) {
		fprintf(stderr, "bar-mem: %llu bytes at %#llx do not fit %s (%lld bytes)\n", len, off,
			path, (long long)st.st_size);
		return 2;
	}
	base = off & ~((unsigned long long)page - 1);
	span = (off - base + len + (unsigned long long)page - 1) & ~((unsigned long long)page - 1);
	map = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)base);
	if (map == MAP_FAILED) {
		perror("bar-mem: mmap");
		return 1;
	}
	p = map + (off - base);
	for (unsigned long long i = 0; i < len; i++) {
		if (write_mode) {
			int hi = hexval(argv[5][2 * i]), lo = hexval(argv[5][2 * i + 1]);

			if (hi < 0 || lo < 0) {
				fprintf(stderr, "bar-mem: '%s' is not hex\n", argv[5]);
				return 2;
			}
			p[i] = (uint8_t)(hi << 4 | lo);
		} else {
			printf("%02x", p[i]);
		}
	}
	if (!write_mode)
		printf("\n");
	return 0;
}
