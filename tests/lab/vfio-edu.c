// lab: cflags: -static
/*
 * Runs inside an L2 guest that has QEMU's edu device passed through by
 * partvm and bound to uio_pci_generic (tests/lab/test-vfio-edu.sh). Usage:
 *   vfio-edu BDF /dev/uioN INTERRUPTS DMA_ROUNDS
 * Checks, printing one "edu: ..." line each:
 *   - BAR0: the identification register and the factorial unit;
 *   - INTx: INTERRUPTS times, re-enable INTx (uio_pci_generic has no
 *     irqcontrol: clear the command register's INTx-disable bit through
 *     sysfs config), raise an interrupt, wait for it on /dev/uioN (5 s
 *     at most), acknowledge it; then no further interrupt may arrive;
 *   - DMA: copy a page of random bytes from guest RAM into edu's buffer
 *     and back into another page, guest-physical addresses from
 *     /proc/self/pagemap, compared byte for byte.
 * Exits 0 when everything held. edu's registers: QEMU docs/specs/edu.rst.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define EDU_ID          0x00
#define EDU_LIVENESS    0x04
#define EDU_FACTORIAL   0x08
#define EDU_STATUS      0x20
#define EDU_STATUS_BUSY 0x01
#define EDU_IRQ_STATUS  0x24
#define EDU_IRQ_RAISE   0x60
#define EDU_IRQ_ACK     0x64
#define EDU_DMA_SRC     0x80
#define EDU_DMA_DST     0x88
#define EDU_DMA_COUNT   0x90
#define EDU_DMA_CMD     0x98
#define EDU_DMA_RUN     0x01
#define EDU_DMA_TO_RAM  0x02
#define EDU_DMA_BUF     0x40000
#define EDU_DMA_MASK    ((1ULL << 28) - 1)

#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x02
#define PCI_COMMAND_MASTER 0x04
#define PCI_COMMAND_INTX_DISABLE 0x400

static volatile uint8_t *bar;
static int cfg_fd;

static uint32_t rd32(unsigned off)
{
	return *(volatile uint32_t *)(bar + off);
}

static void wr32(unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(bar + off) = v;
}

static void wr64(unsigned off, uint64_t v)
{
	*(volatile uint64_t *)(bar + off) = v;
}

static uint64_t rd64(unsigned off)
{
	return *(volatile uint64_t *)(bar + off);
}

static int die(const char *what)
{
	printf("edu: FAIL: %s: %s\n", what, strerror(errno));
	return 1;
}

static int command(uint16_t set, uint16_t clear)
{
	uint16_t cmd;

	if (pread(cfg_fd, &cmd, 2, PCI_COMMAND) != 2)
		return -1;
	cmd = (uint16_t)((cmd | set) & ~clear);
	return pwrite(cfg_fd, &cmd, 2, PCI_COMMAND) == 2 ? 0 : -1;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Guest-physical address of the page at VA (it must be resident). */
static uint64_t phys(void *va)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	off_t off = (off_t)((uintptr_t)va / 4096 * 8);

	if (fd < 0 || pread(fd, &e, 8, off) != 8) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	if (!(e & (1ULL << 63)))
		return 0;
	return (e & ((1ULL << 55) - 1)) * 4096 + (uintptr_t)va % 4096;
}

static int wait_dma(void)
{
	double t0 = now();

	while (rd32(EDU_DMA_CMD) & EDU_DMA_RUN)
		if (now() - t0 > 10) {
			printf("edu: FAIL: DMA did not finish in 10 s\n");
			return -1;
		}
	return 0;
}

static int test_intx(const char *uio, unsigned n)
{
	unsigned got = 0, lost = 0, bad_count = 0, spurious = 0;
	uint32_t last = 0, count;
	struct pollfd pfd;
	double t0 = now(), worst = 0;
	int fd = open(uio, O_RDWR);

	if (fd < 0)
		return die(uio);
	/* uio counts every interrupt since probe; start from there. */
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, 0) == 1 && read(fd, &last, 4) == 4)
		spurious++;
	for (unsigned i = 0; i < n; i++) {
		double t = now();

		if (command(0, PCI_COMMAND_INTX_DISABLE) < 0)
			return die("re-enable INTx through config");
		wr32(EDU_IRQ_RAISE, 1);
		pfd.revents = 0;
		if (poll(&pfd, 1, 5000) != 1) {
			lost++;
		} else if (read(fd, &count, 4) == 4) {
			got++;
			if (count != last + 1)
				bad_count++;
			last = count;
		}
		if (rd32(EDU_IRQ_STATUS) != 1)
			bad_count++;
		wr32(EDU_IRQ_ACK, 1);
		if (now() - t > worst)
			worst = now() - t;
		if (lost > 3)
			break;
	}
	/* Line acknowledged and INTx enabled: nothing more may come. */
	command(0, PCI_COMMAND_INTX_DISABLE);
	pfd.revents = 0;
	if (poll(&pfd, 1, 500) == 1)
		spurious++;
	close(fd);
	printf("edu: INTx %u/%u interrupts received, %u lost, %u spurious, %u miscounted; "
	       "%.2f s, slowest %.1f ms\n", got, n, lost, spurious, bad_count, now() - t0,
	       worst * 1e3);
	return got == n && !lost && !spurious && !bad_count ? 0 : 1;
}

static int test_dma(unsigned rounds)
{
	unsigned ok = 0;
	uint8_t *mem = mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED, -1, 0);
	int rnd = open("/dev/urandom", O_RDONLY);

	if (mem == MAP_FAILED || rnd < 0)
		return die("DMA buffers");
	if (command(PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY, 0) < 0)
		return die("enable bus mastering");
	for (unsigned r = 0; r < rounds && r < 32; r++) {
		uint8_t *src = mem + 2 * r * 4096, *dst = src + 4096;
		uint64_t ps = phys(src), pd = phys(dst);

		if (read(rnd, src, 4096) != 4096)
			return die("/dev/urandom");
		memset(dst, 0, 4096);
		if (!ps || !pd || ((ps | pd) & ~EDU_DMA_MASK)) {
			printf("edu: FAIL: pages at 0x%llx/0x%llx: not resident or above edu's 28-bit "
			       "DMA mask\n", (unsigned long long)ps, (unsigned long long)pd);
			return 1;
		}
		/* RAM -> edu's buffer, then edu's buffer -> another page. */
		wr64(EDU_DMA_SRC, ps);
		wr64(EDU_DMA_DST, EDU_DMA_BUF);
		wr64(EDU_DMA_COUNT, 4096);
		wr64(EDU_DMA_CMD, EDU_DMA_RUN);
		if (wait_dma() < 0)
			return 1;
		wr64(EDU_DMA_SRC, EDU_DMA_BUF);
		wr64(EDU_DMA_DST, pd);
		wr64(EDU_DMA_COUNT, 4096);
		wr64(EDU_DMA_CMD, EDU_DMA_RUN | EDU_DMA_TO_RAM);
		if (wait_dma() < 0)
			return 1;
		if (memcmp(src, dst, 4096)) {
			unsigned first = 0;

			while (src[first] == dst[first])
				first++;
			printf("edu: FAIL: DMA round %u (0x%llx -> edu -> 0x%llx): bytes differ from "
			       "offset %u\n", r, (unsigned long long)ps, (unsigned long long)pd, first);
			return 1;
		}
		if (rd64(EDU_DMA_SRC) != EDU_DMA_BUF)
			return printf("edu: FAIL: DMA source register reads back wrong\n"), 1;
		ok++;
		printf("edu: DMA round %u: 4096 bytes 0x%llx -> edu buffer -> 0x%llx, identical\n", r,
		       (unsigned long long)ps, (unsigned long long)pd);
	}
	printf("edu: DMA %u/%u round trips verified byte for byte\n", ok, rounds);
	return ok == rounds ? 0 : 1;
}

int main(int argc, char **argv)
{
	char path[256];
	uint32_t id, v;
	int fd, r = 0;
	double t0;

	if (argc != 5) {
		fprintf(stderr, "usage: %s BDF /dev/uioN INTERRUPTS DMA_ROUNDS\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", argv[1]);
	cfg_fd = open(path, O_RDWR);
	if (cfg_fd < 0)
		return die(path);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", argv[1]);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		return die(path);
	bar = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (bar == MAP_FAILED)
		return die("mmap BAR0");

	id = rd32(EDU_ID);
	printf("edu: identification register 0x%08x\n", id);
	if (id != 0x010000ed)
		r = 1;
	wr32(EDU_LIVENESS, 0x12345678);
	v = rd32(EDU_LIVENESS);
	printf("edu: liveness 0x12345678 -> 0x%08x\n", v);
	if (v != ~0x12345678U)
		r = 1;
	wr32(EDU_FACTORIAL, 10);
	t0 = now();
	while ((rd32(EDU_STATUS) & EDU_STATUS_BUSY) && now() - t0 < 5)
		;
	v = rd32(EDU_FACTORIAL);
	printf("edu: factorial(10) through BAR0 = %u\n", v);
	if (v != 3628800)
		r = 1;

	r |= test_intx(argv[2], (unsigned)atoi(argv[3]));
	r |= test_dma((unsigned)atoi(argv[4]));
	printf("edu: %s\n", r ? "FAIL" : "all checks passed");
	return r;
}
