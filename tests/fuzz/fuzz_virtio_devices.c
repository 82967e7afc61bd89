// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every virtio device a guest drives, through its PCI transport: one VM
 * (no KVM) with virtio-rng, virtio-console, three virtio-blk disks (a
 * read-write image with two queues and discard, a read-only one, and one
 * with cache = none) and a virtio-net NIC with two queue pairs on a tap
 * (userspace data path, in a network namespace of the fuzzer's own), made
 * once from config text. Each input is a guest:
 * common-configuration writes and reads (features, queue select, size,
 * addresses, enable, vectors, status with resets at any point),
 * device-configuration and ISR accesses, the MSI-X table, config space
 * (command, BARs, the MSI-X enable, the PCI_CFG window), raw writes to its
 * RAM, doorbells, and requests it builds: blk headers with any type,
 * sector and length split over any buffers, direct or indirect, RNG and
 * console buffers, console input, frames into the NIC's tap; and a host that refuses a queue's
 * thread when the driver sets DRIVER_OK.
 *
 * The queues' threads are replaced (-Wl,--wrap=virtio_worker_start/stop)
 * by running each worker's function here when its doorbell fired, as the
 * thread would, so that every input runs the same way. Disks use
 * aio = sync for the same reason (io_uring completes when it likes), and
 * the RNG's getrandom() gives the same bytes for the same input.
 *
 * Checks, after every step: a started device has FEATURES_OK and
 * DRIVER_OK and only features it offered, with VERSION_1; no queue thread
 * runs for a device that is not started (nor starts twice); an enabled
 * queue's rings lie in RAM; vectors are valid. A request on a healthy
 * queue completes with the status the spec gives (OK, IOERR or UNSUPP,
 * worked out here from the header and the disk), the used length it
 * should, reads return the image's bytes and writes land in it, GET_ID
 * the serial, DISCARD and WRITE_ZEROES read back as zeros; readable
 * buffers and the bytes around every buffer stay untouched; without
 * MSI-X the ISR says a queue interrupt came; a buffer outside RAM breaks
 * the queue (DEVICE_NEEDS_RESET) and nothing is written. The images never
 * change size; the read-only one never changes. Each input ends with a
 * reset through the status register and a PCI reset, after which every
 * device is back in its reset state with no queue work left.
 */
// LDFLAGS: -Wl,--wrap=virtio_worker_start -Wl,--wrap=virtio_worker_stop -Wl,--wrap=console_claim -Wl,--wrap=getrandom
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <ftw.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "core/board.h"
#include "core/kvm/kvm.h"
#include "core/util/cleanup.h"
#include "core/util/dir.h"
#include "core/util/log.h"
#include "core/virtio/internal.h"
#include "core/vm/config.h"
#include "core/vm/console.h"
#include "core/vm/device.h"
#include "core/vm/layout.h"
#include "core/vm/memory.h"
#include "core/vm/pci.h"
#include "core/vm/vm.h"

#define RAM       (2 * SZ_1G + 8 * SZ_1M)
#define NDEV      6
#define DEV_RNG   0
#define DEV_CON   1
#define DEV_RW    2     /* first disk; DEV_RW + 1 read-only, + 2 cache = none */
#define DEV_NET   5
#define NET_TAP   "pvfuzz0"
#define IMG_SIZE  (64 * 1024)
#define RO_SIZE   (32 * 1024)
#define SERIAL_RW "fuzz-rw"
#define SERIAL_DIRECT "abcdefghijklmnopqrst"   /* 20 bytes: no NUL in GET_ID */
#define STATUS_SENTINEL 0xee
#define GUARD     0xa5
#define GAP       32    /* guard bytes between a request's buffers */
#define MAX_SEGS  8

struct disk_info {
	const char *file;
	uint64_t size;
	bool readonly, discard;
	const char *serial;
	char path[128];
	int fd;                         /* ours, to check the image */
};

static struct vm vm;
static struct vm_config cfg;
static struct device devs[NDEV];
static struct virtio_dev *vd[NDEV];
static uint32_t bar_lo[NDEV], bar_hi[NDEV];
static unsigned cap_msix[NDEV], cap_pcicfg[NDEV];
static uint64_t offered[NDEV];
static struct console_port port;
static int net_sock = -1;          /* a packet socket on the NIC's tap */
static char dir[64];
static uint8_t pattern[IMG_SIZE];
static struct disk_info disks[3] = {
	{ "rw.img", IMG_SIZE, false, true, SERIAL_RW, "", -1 },
	{ "ro.img", RO_SIZE, true, false, "", "", -1 },
	{ "direct.img", IMG_SIZE, false, false, SERIAL_DIRECT, "", -1 },
};

/* ---- The queues' threads, run here ---------------------------------------- */

struct fake_worker {
	struct virtio_worker *w;
	bool first;                     /* the thread's first call, before any kick */
};

static struct fake_worker workers[32];
static unsigned nworkers;
static int fail_start_in;          /* the Nth next start fails (0: none) */

int __wrap_virtio_worker_start(struct virtio_worker *w, struct virtqueue *vq, int extra_fd,
			       void (*fn)(struct virtqueue *vq, void *opaque, bool kicked, bool extra),
			       void *opaque, const char *name);
void __wrap_virtio_worker_stop(struct virtio_worker *w);
int __wrap_console_claim(struct vm *v, const struct console_port *p);
int __real_console_claim(struct vm *v, const struct console_port *p);

int __wrap_virtio_worker_start(struct virtio_worker *w, struct virtqueue *vq, int extra_fd,
			       void (*fn)(struct virtqueue *vq, void *opaque, bool kicked, bool extra),
			       void *opaque, const char *name)
{
	for (unsigned i = 0; i < nworkers; i++)
		if (workers[i].w == w)
			abort();        /* started twice: the first thread would run on */
	/* The host refuses a thread (pthread_create, eventfd). */
	if (fail_start_in && --fail_start_in == 0)
		return -EAGAIN;
	if (nworkers == sizeof(workers) / sizeof(workers[0]))
		abort();
	memset(w, 0, sizeof(*w));
	w->vq = vq;
	w->extra_fd = extra_fd;
	w->fn = fn;
	w->opaque = opaque;
	w->stop_fd = -1;
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->running = true;
	workers[nworkers++] = (struct fake_worker){ w, true };
	return 0;
}

void __wrap_virtio_worker_stop(struct virtio_worker *w)
{
	if (!w->running)
		return;
	for (unsigned i = 0; i < nworkers; i++)
		if (workers[i].w == w) {
			workers[i] = workers[--nworkers];
			w->running = false;
			return;
		}
	abort();                        /* running, but never started */
}

/* Entropy that repeats with the input: a guest that aims the RNG at its
 * own rings must crash the same way twice. */
static uint64_t rng_state;
ssize_t __wrap_getrandom(void *buf, size_t len, unsigned flags);

ssize_t __wrap_getrandom(void *buf, size_t len, unsigned flags)
{
	for (size_t i = 0; i < len; i++) {
		rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
		((uint8_t *)buf)[i] = (uint8_t)(rng_state >> 56);
	}
	return (ssize_t)len;
}

int __wrap_console_claim(struct vm *v, const struct console_port *p)
{
	port = *p;
	return __real_console_claim(v, p);
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* What the threads would do now: each one whose doorbell (or extra fd)
 * fired runs its function, until none has anything. */
static void pump(void)
{
	for (unsigned round = 0;; round++) {
		bool ran = false;

		if (round > 4096)
			abort();        /* the device never goes idle */
		for (unsigned i = 0; i < nworkers; i++) {
			struct virtio_worker *w = workers[i].w;
			bool kicked, extra;
			uint64_t n;

			if (workers[i].first) {
				workers[i].first = false;
				w->fn(w->vq, w->opaque, true, false);
				ran = true;
				continue;
			}
			kicked = read(w->vq->kick_fd, &n, sizeof(n)) == sizeof(n);
			extra = !w->extra_off && readable(w->extra_fd);
			if (kicked || extra) {
				w->fn(w->vq, w->opaque, kicked, extra);
				ran = true;
			}
		}
		if (!ran)
			return;
	}
}

static bool device_has_worker(unsigned d)
{
	for (unsigned i = 0; i < nworkers; i++)
		if (workers[i].w->vq->vdev == vd[d])
			return true;
	return false;
}

/* ---- Input ---------------------------------------------------------------- */

/* Where the harness's driver puts queue Q of device D, and requests. */
static uint64_t ring_base(unsigned d, unsigned q)
{
	return 0x1000000ULL + d * 0x100000ULL + q * 0x10000ULL;
}

static const uint64_t arenas[] = {
	0x4000000ULL, 0x80000000ULL - 0x10000, 0x100000000ULL, 0x100000000ULL + 8 * SZ_1M - 0x10000,
};
#define ARENA_SIZE 0x10000ULL

static uint64_t take_gpa(struct fuzz_input *in)
{
	uint8_t sel = (uint8_t)fuzz_take(in, 1);
	uint64_t off = fuzz_take(in, 2);

	switch (sel % 8) {
	case 0: return ring_base(sel / 8 % NDEV, sel / 64 % 2) + off;
	case 1: return arenas[sel / 8 % 4] + off;
	case 2: return 0x80000000ULL + off;                  /* the PCI hole */
	case 3: return 0x80000000ULL - 0x100 + (off & 0x1ff);   /* across its start */
	case 4: return 0x100000000ULL + 8 * SZ_1M - 0x100 + (off & 0x1ff);   /* the end of RAM */
	case 5: return ~0ULL - off;
	case 6: return 0x100000ULL + off * 64;
	default: return fuzz_take(in, 8);
	}
}

static void *ram(uint64_t gpa, uint64_t len)
{
	return memory_guest_ptr(&vm.mem, gpa, len);
}

static uint16_t rd16(uint64_t gpa)
{
	uint16_t v = 0;
	void *p = ram(gpa, 2);

	if (p)
		memcpy(&v, p, 2);
	return v;
}

/* ---- The guest's view of the devices ------------------------------------- */

static uint32_t cfg_rd(unsigned d, unsigned off, unsigned size)
{
	return pci_host_config_read(vm.pci, vd[d]->pci.slot, 0, off, size);
}

static void cfg_wr(unsigned d, unsigned off, unsigned size, uint32_t v)
{
	pci_host_config_write(vm.pci, vd[d]->pci.slot, 0, off, size, v);
}

/* BAR0 as the guest programmed it. */
static uint64_t bar_of(unsigned d)
{
	return (cfg_rd(d, PCI_BASE_ADDRESS_0, 4) & ~0xfULL) |
	       (uint64_t)cfg_rd(d, PCI_BASE_ADDRESS_1, 4) << 32;
}

/* Does an access to BAR0 reach device D itself? */
static bool decoded(unsigned d)
{
	return vd[d]->bar_mapped && vd[d]->bar_addr == bar_of(d) &&
	       (cfg_rd(d, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY);
}

static bool bar_wr(unsigned d, uint64_t off, unsigned size, uint64_t v)
{
	return bus_write(&vm.mmio, bar_of(d) + off, size, v);
}

static uint64_t bar_rd(unsigned d, uint64_t off, unsigned size, bool *ok)
{
	uint64_t v = 0;
	bool r = bus_read(&vm.mmio, bar_of(d) + off, size, &v);

	if (ok)
		*ok = r;
	return v;
}

static unsigned find_cap(unsigned d, uint8_t id, int vndr_type)
{
	unsigned off = cfg_rd(d, PCI_CAPABILITY_LIST, 1);

	for (unsigned n = 0; off && n < 48; n++) {
		if (cfg_rd(d, off, 1) == id &&
		    (vndr_type < 0 || cfg_rd(d, off + VIRTIO_PCI_CAP_CFG_TYPE, 1) == (unsigned)vndr_type))
			return off;
		off = cfg_rd(d, off + 1, 1);
	}
	abort();
}

/* ---- Invariants ----------------------------------------------------------- */

static bool ring_in_ram(const volatile uint8_t *p, uint64_t gpa, uint64_t len)
{
	return p && p == ram(gpa, len);
}

static void check_device(unsigned d)
{
	struct virtio_dev *v = vd[d];

	if (v->started && (!(v->status & VIRTIO_CONFIG_S_DRIVER_OK) ||
			   !(v->status & VIRTIO_CONFIG_S_FEATURES_OK)))
		abort();
	if ((v->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    ((v->driver_features & ~offered[d]) || !(v->driver_features & (1ULL << VIRTIO_F_VERSION_1))))
		abort();                /* a feature never offered was accepted */
	/* No queue thread outlives its device's start. (The NIC starts
	 * threads only for the queue pairs and control queue the driver
	 * enabled: it may run with none.) */
	if (device_has_worker(d) != v->started && (d != DEV_NET || !v->started))
		abort();
	if (v->config_msix_vector != VIRTIO_MSI_NO_VECTOR && v->config_msix_vector >= v->nvectors)
		abort();
	if (v->isr & ~3)
		abort();
	for (unsigned q = 0; q < v->nvqs; q++) {
		struct virtqueue *vq = &v->vqs[q];
		uint64_t n = vq->size;

		if (vq->msix_vector != VIRTIO_MSI_NO_VECTOR && vq->msix_vector >= v->nvectors)
			abort();
		if (!vq->enabled)
			continue;
		if (!n || n > vq->max_size || (n & (n - 1)) ||
		    !ring_in_ram(vq->desc, vq->desc_gpa, 16 * n) ||
		    !ring_in_ram(vq->avail, vq->avail_gpa, 6 + 2 * n) ||
		    !ring_in_ram(vq->used, vq->used_gpa, 6 + 8 * n))
			abort();
	}
}

static void check_images(void)
{
	for (unsigned i = 0; i < 3; i++) {
		struct stat st;

		if (fstat(disks[i].fd, &st) < 0 || (uint64_t)st.st_size != disks[i].size)
			abort();        /* the device wrote past the image */
	}
}

static void image_read(unsigned k, uint64_t off, void *buf, size_t len)
{
	if (pread(disks[k].fd, buf, len, (off_t)off) != (ssize_t)len)
		abort();
}

/* Back to the reset state: status 0, no queue, no work, no thread. */
static void check_reset(unsigned d)
{
	struct virtio_dev *v = vd[d];

	if (v->status || v->started || v->needs_reset || v->driver_features || v->isr ||
	    v->queue_select || device_has_worker(d))
		abort();
	for (unsigned q = 0; q < v->nvqs; q++)
		if (v->vqs[q].enabled || v->vqs[q].desc || v->vqs[q].broken || v->vqs[q].last_avail)
			abort();
}

/* ---- The driver ----------------------------------------------------------- */

static void status_wr(unsigned d, uint8_t s)
{
	bar_wr(d, VIRTIO_PCI_COMMON_STATUS, 1, s);
}

static void reset_device(unsigned d)
{
	bool mapped = decoded(d), ok;

	status_wr(d, 0);
	if (!mapped)
		return;
	if (bar_rd(d, VIRTIO_PCI_COMMON_STATUS, 1, &ok) != 0 || !ok)
		abort();
	check_reset(d);
}

/* The driver's start (3.1.1), with the input's features and queues. */
static void driver_init(unsigned d, struct fuzz_input *in)
{
	uint8_t mode = (uint8_t)fuzz_take(in, 1);
	uint64_t f = fuzz_take(in, 8);
	unsigned nq = 1 + (unsigned)fuzz_take(in, 1) % vd[d]->nvqs;
	uint16_t qsize = (uint16_t)(1u << ((unsigned)fuzz_take(in, 1) % 11));
	bool accept;
	bool ok;

	if (!(mode & 1))
		f = (f | (1ULL << VIRTIO_F_VERSION_1)) & offered[d];
	status_wr(d, 0);
	status_wr(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	status_wr(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	bar_wr(d, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	bar_wr(d, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)f);
	bar_wr(d, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	bar_wr(d, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)(f >> 32));
	status_wr(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	accept = !(f & ~offered[d]) && (f & (1ULL << VIRTIO_F_VERSION_1));
	if (decoded(d) &&
	    !!(bar_rd(d, VIRTIO_PCI_COMMON_STATUS, 1, &ok) & VIRTIO_CONFIG_S_FEATURES_OK) != accept)
		abort();                /* FEATURES_OK says whether they were taken */
	for (unsigned q = 0; q < nq; q++) {
		uint64_t base = ring_base(d, q);

		/* Fresh rings, as a driver allocates them. */
		memset(ram(base, 0x10000), 0, 0x10000);
		bar_wr(d, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		bar_wr(d, VIRTIO_PCI_COMMON_Q_SIZE, 2, qsize);
		bar_wr(d, VIRTIO_PCI_COMMON_Q_DESCLO, 8, base);
		bar_wr(d, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, (uint32_t)(base + 0x4000));
		bar_wr(d, VIRTIO_PCI_COMMON_Q_AVAILHI, 4, 0);
		bar_wr(d, VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)(base + 0x8000));
		bar_wr(d, VIRTIO_PCI_COMMON_Q_USEDHI, 4, 0);
		if (mode & 2)
			bar_wr(d, VIRTIO_PCI_COMMON_Q_MSIX, 2, q + 1);
		bar_wr(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	}
	if (mode & 4)
		bar_wr(d, VIRTIO_PCI_COMMON_MSIX, 2, 0);
	status_wr(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		     VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	pump();
}

/* A request the harness lays out: buffers in an arena with guard bytes
 * between them, descriptors in the queue's table (or an indirect table in
 * the arena), offered and kicked. */
struct seg {
	uint64_t gpa;
	uint32_t len;
	bool in;
};

struct request {
	unsigned d, q;
	struct seg seg[MAX_SEGS + 2];
	unsigned nseg;
	uint64_t arena, used_at;       /* the arena's next free byte */
	bool bad;                      /* one buffer outside RAM */
	bool healthy;                  /* should complete as the spec says */
	uint16_t head, used_before;
	uint32_t used_len;             /* what the used ring said */
};

static uint64_t arena_alloc(struct request *r, uint32_t len, unsigned misalign)
{
	uint64_t at = (r->used_at + GAP + 511) & ~511ULL;

	at += misalign;
	r->used_at = at + len;
	return at;
}

/* Cut STREAM of LEN bytes into up to MAX buffers at the input's points,
 * copying it into the arena. Returns false if it does not fit. */
static bool add_stream(struct request *r, struct fuzz_input *in, const uint8_t *stream,
		       uint32_t len, bool is_in, unsigned max)
{
	uint32_t done = 0;
	unsigned cuts = 1 + (unsigned)fuzz_take(in, 1) % max;
	uint8_t misalign = (uint8_t)fuzz_take(in, 1);

	while (done < len) {
		uint32_t n = len - done;
		struct seg *s;

		if (r->nseg == MAX_SEGS + 2)
			return false;
		if (cuts > 1) {
			n = (uint32_t)fuzz_take(in, 2) % (len - done) + 1;
			cuts--;
		}
		s = &r->seg[r->nseg++];
		s->len = n;
		s->in = is_in;
		s->gpa = arena_alloc(r, n, misalign & 1 ? 1 : 0);
		if (r->used_at - r->arena > ARENA_SIZE)
			return false;
		fuzz_guest_write(&vm.mem, s->gpa, stream + done, n);
		done += n;
	}
	return true;
}

static bool disjoint(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a + alen <= b || b + blen <= a;
}

/* Lay out R's descriptors and kick. False when it cannot be built. */
static bool submit(struct request *r, struct fuzz_input *in)
{
	struct virtio_dev *v = vd[r->d];
	struct virtqueue *vq = &v->vqs[r->q];
	uint8_t how = (uint8_t)fuzz_take(in, 1);
	bool indirect = (how & 1) && vq->indirect;
	uint16_t avail_idx, size = vq->size;
	uint64_t table = 0;

	if (!vq->enabled || !r->nseg)
		return false;
	/* One buffer in the PCI hole: the queue must break. */
	if (how & 2 && how & 4) {
		struct seg *s = &r->seg[how / 8 % r->nseg];

		memset(ram(s->gpa, s->len), GUARD, s->len);
		s->gpa = 0x80000000ULL + 0x1000;
		r->bad = true;
	}
	avail_idx = rd16(vq->avail_gpa + 2);
	r->head = (uint16_t)(avail_idx % size);
	r->used_before = rd16(vq->used_gpa + 2);
	if (indirect) {
		if (r->nseg > size)
			return false;
		table = arena_alloc(r, 16 * r->nseg, 0);
		if (r->used_at - r->arena > ARENA_SIZE)
			return false;
		for (unsigned j = 0; j < r->nseg; j++)
			fuzz_put_desc(&vm.mem, table, j, r->seg[j].gpa, r->seg[j].len,
				 (j + 1 < r->nseg ? VRING_DESC_F_NEXT : 0) |
				 (r->seg[j].in ? VRING_DESC_F_WRITE : 0), (uint16_t)(j + 1));
		fuzz_put_desc(&vm.mem, vq->desc_gpa, r->head, table, 16 * r->nseg, VRING_DESC_F_INDIRECT, 0);
	} else {
		if (r->nseg > size)
			return false;
		for (unsigned j = 0; j < r->nseg; j++)
			fuzz_put_desc(&vm.mem, vq->desc_gpa, (r->head + j) % size, r->seg[j].gpa, r->seg[j].len,
				 (j + 1 < r->nseg ? VRING_DESC_F_NEXT : 0) |
				 (r->seg[j].in ? VRING_DESC_F_WRITE : 0), (uint16_t)((r->head + j + 1) % size));
	}
	/* Healthy: nothing else pending, rings apart from each other and
	 * from the arena, the device started and reachable. */
	r->healthy = v->started && !vq->broken && avail_idx == vq->last_avail &&
		     r->used_before == vq->used_idx && decoded(r->d) &&
		     disjoint(vq->desc_gpa, 16ULL * size, vq->avail_gpa, 6 + 2ULL * size) &&
		     disjoint(vq->desc_gpa, 16ULL * size, vq->used_gpa, 6 + 8ULL * size) &&
		     disjoint(vq->avail_gpa, 6 + 2ULL * size, vq->used_gpa, 6 + 8ULL * size);
	for (unsigned q = 0; q < v->nvqs && r->healthy; q++) {
		struct virtqueue *o = &v->vqs[q];

		if (o->enabled &&
		    (!disjoint(r->arena, ARENA_SIZE, o->desc_gpa, 16ULL * o->size) ||
		     !disjoint(r->arena, ARENA_SIZE, o->avail_gpa, 6 + 2ULL * o->size) ||
		     !disjoint(r->arena, ARENA_SIZE, o->used_gpa, 6 + 8ULL * o->size)))
			r->healthy = false;
	}
	fuzz_guest_write(&vm.mem, vq->avail_gpa + 4 + 2 * (uint64_t)(avail_idx % size), &r->head, 2);
	avail_idx++;
	fuzz_guest_write(&vm.mem, vq->avail_gpa + 2, &avail_idx, 2);
	bar_wr(r->d, VIRTIO_BAR_NOTIFY + r->q * VIRTIO_NOTIFY_MULT, 2, r->q);
	pump();
	return true;
}

/* After a healthy request (nothing else could run): the guard bytes
 * between its buffers are untouched, and the used ring gives back its
 * head with *LEN (any length when *LEN is ANY_LEN; r->used_len gets it).
 * With a buffer outside RAM, the queue broke and nothing came back.
 * True when it completed. */
#define ANY_LEN UINT32_MAX

static bool completed(struct request *r, uint32_t *len)
{
	struct virtqueue *vq = &vd[r->d]->vqs[r->q];
	uint8_t *arena = ram(r->arena, ARENA_SIZE);
	uint64_t end = r->arena, e;
	uint32_t id, ulen;

	if (!r->healthy)
		return false;
	for (unsigned j = 0; j < r->nseg; j++) {
		uint64_t s = r->seg[j].gpa;

		if (s < r->arena || s >= r->arena + ARENA_SIZE)
			continue;
		for (uint64_t a = end; a < s; a++)
			if (arena[a - r->arena] != GUARD)
				abort();        /* written outside a buffer */
		end = s + r->seg[j].len;
	}
	if (r->bad) {
		if (!vq->broken || !vd[r->d]->needs_reset || rd16(vq->used_gpa + 2) != r->used_before)
			abort();
		return false;
	}
	if (rd16(vq->used_gpa + 2) != (uint16_t)(r->used_before + 1))
		abort();                /* a healthy request was not answered */
	e = vq->used_gpa + 4 + 8ULL * (r->used_before % vq->size);
	memcpy(&id, ram(e, 4), 4);
	memcpy(&ulen, ram(e + 4, 4), 4);
	if (id != r->head || (*len != ANY_LEN && ulen != *len))
		abort();
	/* Without MSI-X or EVENT_IDX, an interrupt unless the driver said
	 * NO_INTERRUPT (2.7.7): the ISR's queue bit, INTx. */
	if (!vd[r->d]->msix.enabled && !vq->event_idx &&
	    !(rd16(vq->avail_gpa) & VRING_AVAIL_F_NO_INTERRUPT) && !(vd[r->d]->isr & 1))
		abort();
	r->used_len = ulen;
	return true;
}

/* The bytes of R's readable (IN false) or writable buffers, in order. */
static uint32_t gather(const struct request *r, bool in, uint8_t *buf, uint32_t max)
{
	uint32_t n = 0;

	for (unsigned j = 0; j < r->nseg; j++) {
		uint32_t c = r->seg[j].len;

		if (r->seg[j].in != in)
			continue;
		if (c > max - n)
			abort();
		memcpy(buf + n, ram(r->seg[j].gpa, c), c);
		n += c;
	}
	return n;
}

static void new_request(struct request *r, unsigned d, unsigned q, struct fuzz_input *in)
{
	memset(r, 0, sizeof(*r));
	r->d = d;
	r->q = q;
	r->arena = arenas[fuzz_take(in, 1) % 4];
	r->used_at = r->arena;
	memset(ram(r->arena, ARENA_SIZE), GUARD, ARENA_SIZE);
}

/* ---- virtio-blk ----------------------------------------------------------- */

/* The spec's answer (5.2.6) to a request on disk K; *WRITTEN the bytes
 * the device puts in the guest's buffers before the status. */
static uint8_t blk_expect(unsigned k, const uint8_t *out, uint32_t out_len, uint32_t in_len,
			  uint32_t *written, unsigned *zeroed)
{
	const struct disk_info *di = &disks[k];
	struct virtio_blk_outhdr h;
	uint64_t cap = di->size, len;

	*written = 0;
	*zeroed = 0;
	if (out_len < sizeof(h))
		return VIRTIO_BLK_S_IOERR;
	memcpy(&h, out, sizeof(h));
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		len = h.type == VIRTIO_BLK_T_IN ? in_len - 1 : out_len - sizeof(h);
		if (h.type == VIRTIO_BLK_T_OUT && di->readonly)
			return VIRTIO_BLK_S_IOERR;
		if (len % 512 || h.sector > cap / 512 || len > cap - h.sector * 512)
			return VIRTIO_BLK_S_IOERR;
		if (h.type == VIRTIO_BLK_T_IN)
			*written = (uint32_t)len;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_FLUSH:
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		*written = in_len - 1 < VIRTIO_BLK_ID_BYTES ? in_len - 1 : VIRTIO_BLK_ID_BYTES;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES: {
		uint64_t bytes = out_len - sizeof(h);
		bool zero = h.type == VIRTIO_BLK_T_WRITE_ZEROES;

		if (di->readonly || !di->discard)
			return VIRTIO_BLK_S_UNSUPP;
		if (!bytes || bytes % 16 || bytes / 16 > 32)
			return VIRTIO_BLK_S_IOERR;
		for (uint64_t off = sizeof(h); off < out_len; off += 16) {
			struct virtio_blk_discard_write_zeroes s;

			memcpy(&s, out + off, sizeof(s));
			if (s.flags & ~(zero ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0u))
				return VIRTIO_BLK_S_UNSUPP;
			if (s.sector > cap / 512 || (uint64_t)s.num_sectors * 512 > cap - s.sector * 512)
				return VIRTIO_BLK_S_IOERR;
			(*zeroed)++;
		}
		return VIRTIO_BLK_S_OK;
	}
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

static uint64_t take_sector(struct fuzz_input *in, uint64_t cap_sectors)
{
	uint8_t sel = (uint8_t)fuzz_take(in, 1);

	switch (sel % 4) {
	case 0: return fuzz_take(in, 1) % (cap_sectors + 2);
	case 1: return cap_sectors - fuzz_take(in, 1) % 4;
	case 2: return ~0ULL - fuzz_take(in, 1);
	default: return fuzz_take(in, 8);
	}
}

static void blk_request(unsigned d, struct fuzz_input *in)
{
	static const uint32_t types[] = {
		VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID,
		VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES,
	};
	/* The request as the driver means it: the readable bytes (header,
	 * then data or segments) and the writable ones (data, then status). */
	static uint8_t out[16 + 32768], instr[32768 + 1], got[32768 + 16], img[130 * 512];
	unsigned k = d - DEV_RW, zeroed;
	const struct disk_info *di = &disks[k];
	uint8_t sel = (uint8_t)fuzz_take(in, 1), fill = (uint8_t)fuzz_take(in, 1), want;
	struct virtio_blk_outhdr h = { 0 };
	uint32_t out_len = sizeof(h), in_len = 0, written, used, n = 0;
	struct request r;

	new_request(&r, d, (unsigned)fuzz_take(in, 1) % vd[d]->nvqs, in);
	h.type = sel & 0x80 ? (uint32_t)fuzz_take(in, 4) : types[(sel & 15) % 6];
	h.sector = take_sector(in, di->size / 512);
	memcpy(out, &h, sizeof(h));
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
	case VIRTIO_BLK_T_GET_ID:
		n = (uint32_t)fuzz_take(in, 1) % 33 * 512;
		if (sel & 0x40)
			n += (uint32_t)fuzz_take(in, 2) % 512;       /* not whole sectors */
		if (h.type == VIRTIO_BLK_T_GET_ID)
			n = (uint32_t)fuzz_take(in, 1) % 40;
		if (h.type == VIRTIO_BLK_T_OUT) {
			for (uint32_t i = 0; i < n; i++)
				out[out_len + i] = (uint8_t)(fill + i * 7 + i / 512);
			out_len += n;
		} else {
			memset(instr, 0, n);
			in_len = n;
		}
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES: {
		unsigned nsegs = (unsigned)fuzz_take(in, 1) % 34;

		for (unsigned i = 0; i < nsegs; i++) {
			struct virtio_blk_discard_write_zeroes s = {
				.sector = take_sector(in, di->size / 512),
				.num_sectors = (uint32_t)fuzz_take(in, 1) % 130,
				.flags = (uint32_t)fuzz_take(in, 1) % 4 == 0 ? (uint32_t)fuzz_take(in, 4) :
					 (sel & 0x40 ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0),
			};

			memcpy(out + out_len, &s, sizeof(s));
			out_len += sizeof(s);
		}
		if (sel & 0x20) {       /* a partial segment */
			uint32_t extra = (uint32_t)fuzz_take(in, 1) % 4;

			memset(out + out_len, 0, extra);
			out_len += extra;
		}
		break;
	}
	default:
		break;
	}
	if (sel & 0x10)
		out_len = (uint32_t)fuzz_take(in, 1) % 16;   /* a header cut short */
	instr[in_len++] = STATUS_SENTINEL;
	/* Any framing (virtio 1.2, 2.6.4): header and data may share a buffer,
	 * and so may data and status. */
	if (!add_stream(&r, in, out, out_len, false, MAX_SEGS / 2) ||
	    !add_stream(&r, in, instr, in_len, true, MAX_SEGS / 2))
		return;
	want = blk_expect(k, out, out_len, in_len, &written, &zeroed);
	if (!submit(&r, in))
		return;
	check_images();
	used = written + 1;
	if (!completed(&r, &used))
		return;
	/* The status is the last byte the device may write (5.2.6). */
	if (gather(&r, true, instr, sizeof(instr)) != in_len || instr[in_len - 1] != want)
		abort();                /* not what the spec says */
	if (gather(&r, false, got, sizeof(got)) != out_len || memcmp(got, out, out_len))
		abort();                /* the device wrote into a readable buffer */
	if (want != VIRTIO_BLK_S_OK)
		return;
	if (h.type == VIRTIO_BLK_T_IN || h.type == VIRTIO_BLK_T_OUT) {
		bool rd = h.type == VIRTIO_BLK_T_IN;
		uint32_t len = rd ? in_len - 1 : out_len - 16;

		image_read(k, h.sector * 512, got, len);
		if (memcmp(got, rd ? instr : out + 16, len))
			abort();        /* the guest's data and the image differ */
	} else if (h.type == VIRTIO_BLK_T_GET_ID) {
		char id[VIRTIO_BLK_ID_BYTES] = { 0 };

		memcpy(id, di->serial, strlen(di->serial));
		if (memcmp(instr, id, written))
			abort();        /* the serial, NUL-padded */
	} else if (h.type == VIRTIO_BLK_T_DISCARD || h.type == VIRTIO_BLK_T_WRITE_ZEROES) {
		for (unsigned i = 0; i < zeroed; i++) {
			struct virtio_blk_discard_write_zeroes s;

			memcpy(&s, out + 16 + 16 * i, sizeof(s));
			image_read(k, s.sector * 512, img, (size_t)s.num_sectors * 512);
			for (size_t b = 0; b < (size_t)s.num_sectors * 512; b++)
				if (img[b])
					abort();        /* not zeros after it */
		}
	}
}

/* ---- virtio-rng and virtio-console ---------------------------------------- */

static void rng_request(struct fuzz_input *in)
{
	struct request r;
	uint32_t in_len = 0;
	unsigned n = 1 + (unsigned)fuzz_take(in, 1) % MAX_SEGS;
	static uint8_t zero[4096];

	new_request(&r, DEV_RNG, 0, in);
	if (fuzz_take(in, 1) & 1 && !add_stream(&r, in, zero, 16, false, 1))
		return;                 /* a readable buffer: warned about, ignored */
	for (unsigned i = 0; i < n; i++) {
		uint32_t len = 1 + (uint32_t)fuzz_take(in, 2) % 4096;

		if (!add_stream(&r, in, zero, len, true, 1))
			return;
		in_len += len;
	}
	if (!submit(&r, in))
		return;
	/* Filled with at most what the buffers hold. */
	if (completed(&r, &(uint32_t){ ANY_LEN }) && r.used_len > in_len)
		abort();
}

static void console_tx(struct fuzz_input *in)
{
	struct request r;
	uint8_t text[256];
	uint32_t len = (uint32_t)fuzz_take(in, 1);

	for (uint32_t i = 0; i < len; i++)
		text[i] = (uint8_t)('a' + i % 26);
	new_request(&r, DEV_CON, 1, in);
	if (!add_stream(&r, in, text, len, false, 4))
		return;
	/* Written out, nothing written back. */
	if (submit(&r, in))
		(void)completed(&r, &(uint32_t){ 0 });
}

static void console_rx(struct fuzz_input *in)
{
	struct request r;
	uint8_t text[256], zero[256] = { 0 }, back[256];
	uint32_t blen = 1 + (uint32_t)fuzz_take(in, 1), len = (uint32_t)fuzz_take(in, 1);
	bool posted;
	size_t n;

	for (uint32_t i = 0; i < len; i++)
		text[i] = (uint8_t)('A' + i % 26);
	new_request(&r, DEV_CON, 0, in);
	if (!add_stream(&r, in, zero, blen, true, 4))
		return;
	posted = submit(&r, in);
	n = port.receive(port.opaque, text, len);
	if (n > len)
		abort();
	if (!posted || !r.healthy || r.bad || !len)
		return;
	/* The input went into the posted buffers, as much as fit. */
	if (n != (len < blen ? len : blen))
		abort();
	if (completed(&r, &(uint32_t){ (uint32_t)n }) &&
	    (gather(&r, true, back, sizeof(back)) != blen || memcmp(back, text, n)))
		abort();
}

/* ---- virtio-net ------------------------------------------------------------ */

/* A frame from the host's side of the tap: whatever the NIC's RX does
 * with it (delivered into posted buffers, held for more, dropped). */
static void net_frame(struct fuzz_input *in)
{
	uint8_t fr[2048];
	size_t len = 14 + (size_t)fuzz_take(in, 2) % (sizeof(fr) - 14);

	memset(fr, 0xff, 6);
	memcpy(fr + 6, "\x02\x00\x00\x00\x00\x01\x88\xb5", 8);
	for (size_t i = 14; i < len; i++)
		fr[i] = (uint8_t)i;
	(void)!send(net_sock, fr, len, MSG_DONTWAIT);
	pump();
}

/* A descriptor chain the input writes itself, offered and kicked. */
static void raw_chain(unsigned d, struct fuzz_input *in)
{
	struct virtqueue *vq = &vd[d]->vqs[fuzz_take(in, 1) % vd[d]->nvqs];
	unsigned n = 1 + (unsigned)fuzz_take(in, 1) % 4;
	uint16_t head = (uint16_t)fuzz_take(in, 2), idx;

	for (unsigned i = 0; i < n; i++) {
		uint16_t at = (uint16_t)fuzz_take(in, 2);
		uint64_t addr = take_gpa(in);
		uint32_t len = (uint32_t)fuzz_take(in, 2) << (fuzz_take(in, 1) % 17);

		fuzz_put_desc(&vm.mem, vq->desc_gpa, vq->size ? at % vq->size : at, addr, len,
			      (uint16_t)fuzz_take(in, 1) & 7, (uint16_t)fuzz_take(in, 2));
	}
	if (!vq->enabled)
		return;
	idx = rd16(vq->avail_gpa + 2);
	fuzz_guest_write(&vm.mem, vq->avail_gpa + 4 + 2 * (uint64_t)(idx % vq->size), &head, 2);
	idx++;
	fuzz_guest_write(&vm.mem, vq->avail_gpa + 2, &idx, 2);
	bar_wr(d, VIRTIO_BAR_NOTIFY + vq->index * VIRTIO_NOTIFY_MULT, 2, vq->index);
	pump();
	check_images();
}

/* ---- Setup, and the end of each input ------------------------------------ */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* The images and the disks' holder records, once the devices have them
 * open: nothing is left behind, however the fuzzer ends. */
static void cleanup_dir(void)
{
	if (nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS) < 0)
		abort();
}

static void make_image(struct disk_info *di)
{
	int fd;

	snprintf(di->path, sizeof(di->path), "%s/%s", dir, di->file);
	fd = open(di->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || pwrite(fd, pattern, di->size, 0) != (ssize_t)di->size)
		abort();
	close(fd);
	di->fd = open(di->path, O_RDWR | O_CLOEXEC);
	if (di->fd < 0)
		abort();
}

/* The images back to their first bytes, when an input changed them. */
static void restore_images(void)
{
	static uint8_t buf[IMG_SIZE];

	for (unsigned i = 0; i < 3; i++) {
		image_read(i, 0, buf, disks[i].size);
		if (memcmp(buf, pattern, disks[i].size)) {
			if (disks[i].readonly)
				abort();        /* the read-only image changed */
			if (pwrite(disks[i].fd, pattern, disks[i].size, 0) != (ssize_t)disks[i].size)
				abort();
		}
	}
}

static void write_sysctl(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, "1", 1) != 1)
		abort();
	close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct config_error err = { { 0 } };
	char text[1024];

	log_set_max_level(LOG_ERR);
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 31 + i / 512);
	snprintf(dir, sizeof(dir), "/tmp/fuzz-virtio-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	for (unsigned i = 0; i < 3; i++)
		make_image(&disks[i]);
	setenv("PARTVM_RUNTIME_DIR", dir, 1);

	/* The NIC's tap in a network namespace of our own (root, as `make
	 * check` runs), quiet: no IPv6 chatter arriving between inputs. */
	if (unshare(CLONE_NEWNET) < 0) {
		perror("fuzz_virtio_devices: a network namespace of its own (needs root)");
		abort();
	}
	write_sysctl("/proc/sys/net/ipv6/conf/default/disable_ipv6");
	write_sysctl("/proc/sys/net/ipv6/conf/all/disable_ipv6");
	config_init(&cfg, board_device_types);
	vm.cfg = &cfg;
	vm.ncpus = 1;
	kvm_init(&vm.kvm);
	pthread_mutex_init(&vm.lock, NULL);
	if (bus_init(&vm.pio, "pio") < 0 || bus_init(&vm.mmio, "mmio") < 0 ||
	    memory_map(&vm.mem, RAM, MEMORY_BACKING_ANONYMOUS, LAYOUT_DIRECT_BOOT) < 0 || pci_host_init(&vm) < 0)
		abort();
	madvise(vm.mem.host, vm.mem.host_size, MADV_NOHUGEPAGE);
	snprintf(text, sizeof(text),
		 "[partition]\nname = fuzz\n"
		 "[rng]\n"
		 "[console]\ndevice = virtio\n"
		 "[disk]\npath = %s\nserial = " SERIAL_RW "\nqueues = 2\naio = sync\n"
		 "[disk]\npath = %s\nreadonly = yes\naio = sync\n"
		 "[disk]\npath = %s\nserial = " SERIAL_DIRECT "\ncache = none\ndiscard = no\naio = sync\n"
		 "[net]\ntap = " NET_TAP "\nqueues = 2\nvhost = no\n",
		 disks[0].path, disks[1].path, disks[2].path);
	if (config_load_string(&cfg, "fuzz.conf", text, &err) < 0) {
		fprintf(stderr, "config: %s\n", err.msg);
		abort();
	}
	if (cfg.ndevices != NDEV)
		abort();
	for (unsigned i = 0; i < NDEV; i++) {
		const struct device_conf *dc = &cfg.devices[i];
		static const char *const names[NDEV] = {
			"virtio-rng", "virtio-console", "virtio-blk", "virtio-blk", "virtio-blk",
			"virtio-net",
		};

		if (strcmp(dc->type->name, names[i]))
			abort();
		devs[i] = (struct device){ .type = dc->type, .vm = &vm, .dc = dc, .index = i };
		snprintf(devs[i].name, sizeof(devs[i].name), "%s%u", dc->type->name, i);
		if (dc->type->create(&devs[i], NULL) < 0)
			abort();
		vd[i] = devs[i].priv;
		bar_lo[i] = cfg_rd(i, PCI_BASE_ADDRESS_0, 4);
		bar_hi[i] = cfg_rd(i, PCI_BASE_ADDRESS_1, 4);
		cap_msix[i] = find_cap(i, PCI_CAP_ID_MSIX, -1);
		cap_pcicfg[i] = find_cap(i, PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_PCI_CFG);
		cfg_wr(i, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
		bar_wr(i, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
		offered[i] = bar_rd(i, VIRTIO_PCI_COMMON_DF, 4, NULL);
		bar_wr(i, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
		offered[i] |= bar_rd(i, VIRTIO_PCI_COMMON_DF, 4, NULL) << 32;
		bar_wr(i, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
		if (!(offered[i] & (1ULL << VIRTIO_F_VERSION_1)))
			abort();
	}
	if (!port.receive)
		abort();
	net_sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (net_sock < 0 || bind(net_sock, (struct sockaddr *)&(struct sockaddr_ll){
			.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
			.sll_ifindex = (int)if_nametoindex(NET_TAP) }, sizeof(struct sockaddr_ll)) < 0)
		abort();
	cleanup_dir();
	return 0;
}

/* Frames an input left in the tap's queues (the NIC was not started, or
 * had no buffers) would reach the next input: read them out through the
 * device's own fds, the ones on /dev/net/tun. */
static void drain_tap(void)
{
	_cleanup_strv_free_ char **fds = NULL;
	char path[64], link[64], buf[2048];

	if (dir_list("/proc/self/fd", &fds) < 0)
		abort();
	for (char **f = fds; *f; f++) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", *f);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, "/dev/net/tun"))
			continue;
		while (read(atoi(*f), buf, sizeof(buf)) > 0)
			;
	}
}

/* Every input ends here: resets through the status register, then a PCI
 * reset as a VM reset does; every device must be back where it started. */
static void end_input(void)
{
	for (unsigned d = 0; d < NDEV; d++)
		reset_device(d);
	pci_host_reset(&vm);
	for (unsigned d = 0; d < NDEV; d++) {
		unsigned w = cap_pcicfg[d];
		uint64_t n;

		check_reset(d);
		if (vd[d]->msix.enabled || (cfg_rd(d, cap_msix[d] + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE))
			abort();
		/* What the guest moved: the PCI_CFG window (emptied first, so
		 * that writing its data goes nowhere), the BAR, decoding. */
		cfg_wr(d, w + VIRTIO_PCI_CAP_LENGTH, 4, 0);
		cfg_wr(d, w + VIRTIO_PCI_CAP_OFFSET, 4, 0);
		cfg_wr(d, w + VIRTIO_PCI_CAP_BAR, 1, 0);
		cfg_wr(d, w + sizeof(struct virtio_pci_cap), 4, 0);
		cfg_wr(d, PCI_BASE_ADDRESS_0, 4, bar_lo[d]);
		cfg_wr(d, PCI_BASE_ADDRESS_1, 4, bar_hi[d]);
		cfg_wr(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
		if (!decoded(d))
			abort();
		for (unsigned q = 0; q < vd[d]->nvqs; q++)
			(void)!read(vd[d]->vqs[q].kick_fd, &n, sizeof(n));
	}
	fail_start_in = 0;
	if (nworkers)
		abort();
	drain_tap();
	restore_images();
	if (memory_clear(&vm.mem) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	struct fuzz_input in = { buf, size };
	unsigned ops = 0;

	rng_state = 0;
	while (in.n && ops++ < 256) {
		uint8_t op = (uint8_t)fuzz_take(&in, 1);
		unsigned d = (unsigned)fuzz_take(&in, 1) % NDEV;
		bool ok;

		switch (op % 19) {
		case 0: {       /* common configuration: any offset, size, value */
			unsigned off = (unsigned)fuzz_take(&in, 1) % 0x40, sz = 1u << (fuzz_take(&in, 1) % 4);

			bar_wr(d, VIRTIO_BAR_COMMON + off, sz, fuzz_take(&in, sz));
			pump();
			break;
		}
		case 1: {
			unsigned off = (unsigned)fuzz_take(&in, 1) % 0x40, sz = 1u << (fuzz_take(&in, 1) % 4);
			uint64_t v = bar_rd(d, VIRTIO_BAR_COMMON + off, sz, &ok);

			if (!ok || !decoded(d))
				break;
			if (off == VIRTIO_PCI_COMMON_STATUS && sz == 1 &&
			    ((vd[d]->needs_reset && !(v & VIRTIO_CONFIG_S_NEEDS_RESET)) ||
			     (uint8_t)v != (vd[d]->status | (vd[d]->needs_reset ? VIRTIO_CONFIG_S_NEEDS_RESET : 0))))
				abort();
			if (off == VIRTIO_PCI_COMMON_NUMQ && sz == 2 && v != vd[d]->nvqs)
				abort();
			break;
		}
		case 2: {       /* device configuration */
			unsigned off = (unsigned)fuzz_take(&in, 1) % 0x80, sz = 1u << (fuzz_take(&in, 1) % 4);
			uint64_t v = bar_rd(d, VIRTIO_BAR_DEVICE + off, sz, &ok);

			if (ok && decoded(d) && d >= DEV_RW && d < DEV_RW + 3 && off == 0 && sz == 8 &&
			    v != disks[d - DEV_RW].size / 512)
				abort();        /* capacity, in sectors */
			if (ok && decoded(d) && d == DEV_NET && off == 8 && sz == 2 && v != 2)
				abort();        /* max_virtqueue_pairs */
			break;
		}
		case 3: {
			unsigned off = (unsigned)fuzz_take(&in, 1) % 0x80, sz = 1u << (fuzz_take(&in, 1) % 4);

			bar_wr(d, VIRTIO_BAR_DEVICE + off, sz, fuzz_take(&in, sz));
			break;
		}
		case 4: {       /* ISR: read clears */
			uint64_t v = bar_rd(d, VIRTIO_BAR_ISR, 1, &ok);

			if (ok && decoded(d) && (v > 3 || vd[d]->isr))
				abort();
			break;
		}
		case 5: {       /* a doorbell, any queue and size */
			unsigned q = (unsigned)fuzz_take(&in, 1) % (vd[d]->nvqs + 2), sz = 1u << (fuzz_take(&in, 1) % 3);

			bar_wr(d, VIRTIO_BAR_NOTIFY + q * VIRTIO_NOTIFY_MULT, sz, q);
			pump();
			break;
		}
		case 6: {       /* the MSI-X table and PBA */
			uint64_t off = VIRTIO_BAR_MSIX + fuzz_take(&in, 2) % 0x1100;
			unsigned sz = 1u << (fuzz_take(&in, 1) % 4);

			if (fuzz_take(&in, 1) & 1)
				bar_wr(d, off, sz, fuzz_take(&in, sz));
			else
				(void)bar_rd(d, off, sz, NULL);
			break;
		}
		case 7: {       /* config space */
			uint8_t which = (uint8_t)fuzz_take(&in, 1);
			unsigned sz = 1u << (fuzz_take(&in, 1) % 3), off;
			uint32_t v = (uint32_t)fuzz_take(&in, sz);

			switch ((which & 7) % 6) {
			case 0: off = PCI_COMMAND; sz = 2; break;
			case 1: off = cap_msix[d] + PCI_MSIX_FLAGS + 1; sz = 1; break;
			case 2: off = cap_pcicfg[d] + 4 + which / 8 % 16; break;
			case 3: off = PCI_BASE_ADDRESS_0 + 4 * (which / 8 % 2); sz = 4; break;
			case 4: off = which / 8 % 0x20 * 8; (void)cfg_rd(d, off, sz); off = 0; break;
			default: off = cap_pcicfg[d] + sizeof(struct virtio_pci_cap) + which / 8 % 4;
				 (void)cfg_rd(d, off, sz); off = 0; break;
			}
			if (off && off + sz <= PCI_CONFIG_SIZE && !(off & (sz - 1)))
				cfg_wr(d, off, sz, v);
			pump();
			break;
		}
		case 8: {       /* the guest's RAM */
			uint64_t gpa = take_gpa(&in);
			uint8_t b[64];
			size_t n = (size_t)fuzz_take(&in, 1) % sizeof(b);

			for (size_t i = 0; i < n; i++)
				b[i] = (uint8_t)fuzz_take(&in, 1);
			fuzz_guest_write(&vm.mem, gpa, b, n);
			break;
		}
		case 9:
			driver_init(d, &in);
			break;
		case 10:
			blk_request(DEV_RW + d % 3, &in);
			break;
		case 11:
			rng_request(&in);
			break;
		case 12:
			console_tx(&in);
			break;
		case 13:
			console_rx(&in);
			break;
		case 14:
			reset_device(d);
			break;
		case 15:
			pci_host_reset(&vm);
			for (unsigned i = 0; i < NDEV; i++) {
				check_reset(i);
				cfg_wr(i, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
			}
			break;
		case 16:
			fail_start_in = 1 + (int)fuzz_take(&in, 1) % 3;
			break;
		case 17:
			net_frame(&in);
			break;
		default:
			raw_chain(d, &in);
			break;
		}
		pump();
		for (unsigned i = 0; i < NDEV; i++)
			check_device(i);
	}
	end_input();
	return 0;
}
