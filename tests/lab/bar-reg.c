// SPDX-License-Identifier: GPL-2.0-only
/* Inside an L2 guest: read (or write, then read) a 32-bit register of a PCI
 * function's BAR0 through /sys/bus/pci/devices/BDF/resource0, with no
 * driver bound. The device's memory decoding must be on (echo 1 >
 * /sys/bus/pci/devices/BDF/enable).
 *   bar-reg BDF OFFSET [VALUE]   -> "0x%08x", the register's value */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char path[128];
	unsigned long off;
	volatile uint32_t *reg;
	uint8_t *bar;
	int fd;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: bar-reg BDF OFFSET [VALUE]\n");
		return 2;
	}
	off = strtoul(argv[2], NULL, 0);
	if (off % 4 || off >= 4096) {
		fprintf(stderr, "bar-reg: offset %s: a multiple of 4 below 4096\n", argv[2]);
		return 2;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", argv[1]);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	bar = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (bar == MAP_FAILED) {
		perror("bar-reg: mmap");
		return 1;
	}
	reg = (volatile uint32_t *)(bar + off);
	if (argc == 4)
		*reg = (uint32_t)strtoul(argv[3], NULL, 0);
	printf("0x%08x\n", *reg);
	return 0;
}
