// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-blk through the transport, as a driver sees it, on a sparse
 * image file: reads and writes land where they should (checked with
 * pread/pwrite on the image), FLUSH, GET_ID's serial, DISCARD punching a
 * hole (the file's blocks shrink), WRITE_ZEROES, a segment of no sectors
 * (a no-op), and the refusals: past the capacity, partial sectors, writes
 * to a read-only disk, unknown types, a request without room for its
 * status. The [disk] config keys
 * and --disk, image checks (missing, directory, odd size, read-only
 * without readonly) and the lock that names who holds an image, also to
 * a partvm of another user (which may not signal its holder). A
 * start that fails half-way (a queue's thread refused) leaves no thread
 * running. The write cache as the image's I/O shows it (a sync per FLUSH,
 * RWF_DSYNC writes with the cache off), on both I/O paths; two queues
 * busy at once; cache = none (O_DIRECT) on a file system that has it.
 */
// LDFLAGS: -Wl,--wrap=virtio_worker_start -Wl,--wrap=pwritev2 -Wl,--wrap=preadv2 -Wl,--wrap=fdatasync -Wl,--wrap=io_uring_submit
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/virtio_blk.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/util/statefile.h"
#include "core/virtio/disk.h"
#include "tests/unit/capture.h"
#include "tests/unit/other_user.h"
#include "tests/unit/virtio_fake.h"

#define QS 256
#define HDR 0x300000ULL      /* request headers */
#define DATA 0x400000ULL     /* data buffers */
#define STATUS 0x3f0000ULL   /* status bytes */
#define IMG_SIZE (8ULL << 20)
#define FEATURES ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC) | \
		  (1ULL << VIRTIO_RING_F_EVENT_IDX) | (1ULL << VIRTIO_BLK_F_FLUSH) |     \
		  (1ULL << VIRTIO_BLK_F_CONFIG_WCE) | (1ULL << VIRTIO_BLK_F_DISCARD) |   \
		  (1ULL << VIRTIO_BLK_F_WRITE_ZEROES) | (1ULL << VIRTIO_BLK_F_SEG_MAX) |  \
		  (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_RO))

static struct fake_vm f;

/* Queue threads: the Nth next start fails as pthread_create would (0:
 * none). */
static int fail_worker_start;
int __real_virtio_worker_start(struct virtio_worker *w, struct virtqueue *vq, int extra_fd,
			       void (*fn)(struct virtqueue *, void *, bool, bool), void *opaque,
			       const char *name);
int __wrap_virtio_worker_start(struct virtio_worker *w, struct virtqueue *vq, int extra_fd,
			       void (*fn)(struct virtqueue *, void *, bool, bool), void *opaque,
			       const char *name);

int __wrap_virtio_worker_start(struct virtio_worker *w, struct virtqueue *vq, int extra_fd,
			       void (*fn)(struct virtqueue *, void *, bool, bool), void *opaque,
			       const char *name)
{
	if (fail_worker_start && --fail_worker_start == 0)
		return -EAGAIN;
	return __real_virtio_worker_start(w, vq, extra_fd, fn, opaque, name);
}

/* The device's I/O on the image as it reaches the kernel: the system
 * calls of aio = sync (preadv2, pwritev2, fdatasync) and each SQE the
 * io_uring path hands over in io_uring_submit() (liburing's inline
 * helpers prepare them, so the SQEs are what there is to look at). I/O
 * on other files is not recorded. */
enum io_op { IO_READ, IO_WRITE, IO_SYNC, IO_OTHER };

struct io_rec {
	enum io_op op;
	bool uring;            /* an SQE, not a system call */
	int rw_flags;          /* RWF_* of a read or write */
	bool datasync;         /* a sync: fdatasync, or IORING_FSYNC_DATASYNC */
	bool direct;           /* its fd has O_DIRECT */
	uint64_t offset;
	char thread[16];       /* who issued it */
};

#define IO_MAX 512
static struct io_rec ios[IO_MAX];
static unsigned nios;          /* may pass IO_MAX: then only counted */
static dev_t watch_dev;        /* the image whose I/O is recorded */
static ino_t watch_ino;

static void record_io(int fd, enum io_op op, bool uring, int rw_flags, bool datasync, uint64_t off)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);
	unsigned i;

	if (fstat(fd, &st) < 0 || st.st_dev != watch_dev || st.st_ino != watch_ino)
		return;
	i = __atomic_fetch_add(&nios, 1, __ATOMIC_SEQ_CST);
	if (i >= IO_MAX)
		return;
	ios[i] = (struct io_rec){ .op = op, .uring = uring, .rw_flags = rw_flags, .datasync = datasync,
				  .direct = fl >= 0 && (fl & O_DIRECT), .offset = off };
	(void)prctl(PR_GET_NAME, ios[i].thread);
}

ssize_t __real_pwritev2(int fd, const struct iovec *iov, int n, off_t off, int flags);
ssize_t __wrap_pwritev2(int fd, const struct iovec *iov, int n, off_t off, int flags);
ssize_t __real_preadv2(int fd, const struct iovec *iov, int n, off_t off, int flags);
ssize_t __wrap_preadv2(int fd, const struct iovec *iov, int n, off_t off, int flags);
int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);
int __real_io_uring_submit(struct io_uring *ring);
int __wrap_io_uring_submit(struct io_uring *ring);

ssize_t __wrap_pwritev2(int fd, const struct iovec *iov, int n, off_t off, int flags)
{
	record_io(fd, IO_WRITE, false, flags, false, (uint64_t)off);
	return __real_pwritev2(fd, iov, n, off, flags);
}

ssize_t __wrap_preadv2(int fd, const struct iovec *iov, int n, off_t off, int flags)
{
	record_io(fd, IO_READ, false, flags, false, (uint64_t)off);
	return __real_preadv2(fd, iov, n, off, flags);
}

int __wrap_fdatasync(int fd)
{
	record_io(fd, IO_SYNC, false, 0, true, 0);
	return __real_fdatasync(fd);
}

/* The SQEs prepared since the last submit: [sqe_head, sqe_tail). */
int __wrap_io_uring_submit(struct io_uring *ring)
{
	for (unsigned h = ring->sq.sqe_head; h != ring->sq.sqe_tail; h++) {
		const struct io_uring_sqe *sqe = &ring->sq.sqes[h & ring->sq.ring_mask];

		if (sqe->opcode == IORING_OP_READV || sqe->opcode == IORING_OP_WRITEV)
			record_io(sqe->fd, sqe->opcode == IORING_OP_READV ? IO_READ : IO_WRITE, true,
				  (int)sqe->rw_flags, false, sqe->off);
		else if (sqe->opcode == IORING_OP_FSYNC)
			record_io(sqe->fd, IO_SYNC, true, 0, sqe->fsync_flags & IORING_FSYNC_DATASYNC, 0);
		else
			record_io(sqe->fd, IO_OTHER, true, 0, false, 0);
	}
	return __real_io_uring_submit(ring);
}

/* Record the I/O on PATH from now on, none so far. */
static void watch_io(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	watch_dev = st.st_dev;
	watch_ino = st.st_ino;
	__atomic_store_n(&nios, 0, __ATOMIC_SEQ_CST);
}

static unsigned ios_taken(void)
{
	unsigned n = __atomic_load_n(&nios, __ATOMIC_SEQ_CST);

	assert_in_range(n, 0, IO_MAX);
	return n;
}

static const char *io_name(enum io_op op)
{
	return op == IO_READ ? "read" : op == IO_WRITE ? "write" : op == IO_SYNC ? "sync" : "other";
}

/* The one I/O on the image since the last call (or watch_io()): of OP, on
 * the io_uring path or not (URING). */
static struct io_rec one_io(enum io_op op, bool uring)
{
	unsigned n = ios_taken();
	struct io_rec r;

	if (n != 1) {
		for (unsigned i = 0; i < n; i++)
			print_message("  I/O %u: %s%s, flags %#x\n", i, io_name(ios[i].op),
				      ios[i].uring ? " (SQE)" : "", ios[i].rw_flags);
		fail_msg("%u I/Os on the image where one %s was expected", n, io_name(op));
	}
	r = ios[0];
	__atomic_store_n(&nios, 0, __ATOMIC_SEQ_CST);
	if (r.op != op)
		fail_msg("a %s on the image where a %s was expected", io_name(r.op), io_name(op));
	if (r.uring != uring)
		fail_msg("the %s went %s, not %s", io_name(op), r.uring ? "through io_uring" :
			 "through a system call of the queue's thread (aio = sync, or io_uring refused)",
			 uring ? "through io_uring" : "through the queue's thread");
	return r;
}

static char dir[128];
static char img[160];
static uint16_t next_head[2];  /* of queues 0 and 1 */

static int setup(void **state)
{
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/partvm-blk-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	fd = open(img, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, IMG_SIZE), 0);
	close(fd);
	setenv("PARTVM_RUNTIME_DIR", dir, 1);
	watch_io(img);
	fake_virtio_vm(&f);
	next_head[0] = next_head[1] = 0;
	fail_worker_start = 0;
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];

	fake_virtio_free(&f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	unsetenv("PARTVM_RUNTIME_DIR");
	return 0;
}

static struct virtio_dev *disk(const char *extra)
{
	char text[512];

	snprintf(text, sizeof(text), "[partition]\nname = t\n[disk]\npath = %s\nserial = test-serial-1\n%s",
		 img, extra);
	return fake_virtio_device(&f, text);
}

/* One request on queue Q: header, then data (readable for a write,
 * writable for a read), then the status byte. Returns the status;
 * *WRITTEN gets used.len. */
static int request_on(unsigned q, uint32_t type, uint64_t sector, uint64_t data_gpa, uint32_t len,
		      bool data_in, uint32_t *written)
{
	struct virtio_blk_outhdr h = { .type = type, .sector = sector };
	uint16_t head = next_head[q], d = 0;
	uint64_t hdr = HDR + q * 0x8000ULL + 16 * (head % 2048), st = STATUS + q * 0x1000ULL + head % 4096;
	uint32_t id, used_len;
	uint8_t *status = gpa(&f, st);

	memcpy(gpa(&f, hdr), &h, sizeof(h));
	*status = 0xee;
	put_desc_at(&f, RING_DESC(q), d, hdr, 16, VRING_DESC_F_NEXT, d + 1);
	d++;
	if (len) {
		put_desc_at(&f, RING_DESC(q), d, data_gpa, len,
			    VRING_DESC_F_NEXT | (data_in ? VRING_DESC_F_WRITE : 0), d + 1);
		d++;
	}
	put_desc_at(&f, RING_DESC(q), d, st, 1, VRING_DESC_F_WRITE, 0);
	offer_and_kick(&f, q, QS, 0);
	next_head[q]++;
	if (!wait_used(&f, q, next_head[q], 5000))
		fail_msg("request %u (type %u) on queue %u was never completed", head, type, q);
	used_elem(&f, q, QS, (uint16_t)(next_head[q] - 1), &id, &used_len);
	assert_int_equal(id, 0);
	if (written)
		*written = used_len;
	return *status;
}

static int request(uint32_t type, uint64_t sector, uint64_t data_gpa, uint32_t len, bool data_in,
		   uint32_t *written)
{
	return request_on(0, type, sector, data_gpa, len, data_in, written);
}

static void image_read(uint64_t off, void *buf, size_t len)
{
	int fd = open(img, O_RDONLY);

	assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static uint64_t image_blocks(void)
{
	struct stat st;

	assert_int_equal(stat(img, &st), 0);
	return (uint64_t)st.st_blocks;
}

/* The fds this process has open on the image: how many with O_DIRECT,
 * and how many without. */
static void image_fds(unsigned *direct, unsigned *buffered)
{
	DIR *d = opendir("/proc/self/fd");
	struct stat want, st;
	struct dirent *e;

	assert_non_null(d);
	assert_int_equal(stat(img, &want), 0);
	*direct = *buffered = 0;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name), fl;

		if (e->d_name[0] == '.' || fd == dirfd(d) || fstat(fd, &st) < 0 ||
		    st.st_dev != want.st_dev || st.st_ino != want.st_ino)
			continue;
		fl = fcntl(fd, F_GETFL);
		assert_true(fl >= 0);
		if (fl & O_DIRECT)
			(*direct)++;
		else
			(*buffered)++;
	}
	closedir(d);
}

static void test_read_write(void **state)
{
	uint8_t *buf, back[8192];
	uint32_t written;

	disk("");
	assert_true(driver_init(&f, FEATURES & ~(1ULL << VIRTIO_BLK_F_RO), 1, QS) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	/* The config space: capacity in sectors, the serial in GET_ID. */
	assert_int_equal(bar_rd(&f, VIRTIO_BAR_DEVICE, 8), IMG_SIZE / 512);
	buf = gpa(&f, DATA);
	for (unsigned i = 0; i < 8192; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 100, DATA, 8192, false, &written), VIRTIO_BLK_S_OK);
	assert_int_equal(written, 1);
	image_read(100 * 512, back, sizeof(back));
	assert_memory_equal(back, buf, sizeof(back));

	memset(gpa(&f, DATA + 0x10000), 0, 8192);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 100, DATA + 0x10000, 8192, true, &written),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(written, 8193);
	assert_memory_equal(gpa(&f, DATA + 0x10000), buf, 8192);

	assert_int_equal(request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, NULL), VIRTIO_BLK_S_OK);
	memset(gpa(&f, DATA), 0, 32);
	assert_int_equal(request(VIRTIO_BLK_T_GET_ID, 0, DATA, 20, true, &written), VIRTIO_BLK_S_OK);
	assert_int_equal(written, 21);
	assert_string_equal((char *)gpa(&f, DATA), "test-serial-1");
}

static void test_refusals(void **state)
{
	disk("");
	assert_true(driver_init(&f, FEATURES & ~(1ULL << VIRTIO_BLK_F_RO), 1, QS) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	/* Past the end, across the end, partial sectors, unknown types. */
	assert_int_equal(request(VIRTIO_BLK_T_IN, IMG_SIZE / 512, DATA, 512, true, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, IMG_SIZE / 512 - 1, DATA, 1024, false, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(VIRTIO_BLK_T_IN, ~0ULL / 512, DATA, 512, true, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 0, DATA, 100, false, NULL), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(99, 0, DATA, 512, true, NULL), VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(request(VIRTIO_BLK_T_SCSI_CMD, 0, DATA, 512, true, NULL), VIRTIO_BLK_S_UNSUPP);
	/* The device still works. */
	assert_int_equal(request(VIRTIO_BLK_T_IN, 0, DATA, 512, true, NULL), VIRTIO_BLK_S_OK);
}

static void test_no_status_byte(void **state)
{
	struct virtio_blk_outhdr h = { .type = VIRTIO_BLK_T_IN };

	disk("");
	assert_true(driver_init(&f, FEATURES & ~(1ULL << VIRTIO_BLK_F_RO), 1, QS) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	memcpy(gpa(&f, HDR), &h, sizeof(h));
	put_desc_at(&f, RING_DESC(0), 0, HDR, 16, 0, 0);
	offer_and_kick(&f, 0, QS, 0);
	for (int i = 0; i < 2000 && !(status_rd(&f) & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(1000);
	assert_true(status_rd(&f) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(used_idx(&f, 0), 0);
}

/* Threads of this process, after those that ended are gone (at most 1 s). */
static unsigned threads(unsigned want)
{
	struct timespec ts = { 0, 1000000 };
	unsigned n = 0;

	for (int i = 0; i < 1000; i++) {
		DIR *d = opendir("/proc/self/task");
		struct dirent *e;

		assert_non_null(d);
		n = 0;
		while ((e = readdir(d)))
			n += e->d_name[0] != '.';
		closedir(d);
		if (n == want)
			break;
		nanosleep(&ts, NULL);
	}
	return n;
}

/* Queue 1's thread cannot be made: the device needs a reset, and queue
 * 0's thread, already started, must not outlive the failed start (it
 * would run on through the reset, and be started again over itself by
 * the next DRIVER_OK). */
static void test_start_fails_half_way(void **state)
{
	struct virtio_dev *vdev = disk("queues = 2\n");
	unsigned before = threads(0);

	fail_worker_start = 2;
	assert_true(driver_init(&f, FEATURES & ~(1ULL << VIRTIO_BLK_F_RO), 2, QS) &
		    VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_false(vdev->started);
	assert_int_equal(threads(before), before);
	status_wr(&f, 0);
	assert_true(driver_init(&f, FEATURES & ~(1ULL << VIRTIO_BLK_F_RO), 2, QS) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	assert_true(vdev->started);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 0, DATA, 512, true, NULL), VIRTIO_BLK_S_OK);
}

/* Which queue's thread issued IO: "blkSS-qN" names queue N's. */
static unsigned io_queue(const struct io_rec *io)
{
	const char *q = strstr(io->thread, "-q");

	if (!q || strncmp(io->thread, "blk", 3))
		fail_msg("I/O at %llu from thread '%s', not a queue's", (unsigned long long)io->offset,
			 io->thread);
	return (unsigned)atoi(q + 2);
}

/* A disk with two queues, each with its own thread (VIRTIO_BLK_F_MQ,
 * 5.2.3). A write on queue 1 is read back on queue 0 and the other way
 * round; then both queues at once: NREQ writes offered on each and both
 * doorbells rung before waiting for either, completed each on its own
 * queue, their I/O issued by that queue's thread, and read back crosswise
 * (queue 0 reading what queue 1 wrote), the data checked in the guest's
 * buffers and on the image. URING: the io_uring path, else aio = sync. */
static void two_queues(const char *extra, bool uring)
{
	enum { NREQ = 32, LEN = 16 << 10, FIRST = 4096 };
	uint8_t back[LEN];
	uint32_t written;
	struct io_rec io;
	char text[64];
	unsigned nio;

	snprintf(text, sizeof(text), "queues = 2\n%s", extra);
	disk(text);
	assert_true(device_features(&f) & (1ULL << VIRTIO_BLK_F_MQ));
	assert_true(driver_init(&f, (FEATURES & ~(1ULL << VIRTIO_BLK_F_RO)) | (1ULL << VIRTIO_BLK_F_MQ),
				2, QS) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	assert_int_equal(bar_rd(&f, VIRTIO_BAR_DEVICE + offsetof(struct virtio_blk_config, num_queues), 2),
			 2);

	/* One at a time: written on one queue, read on the other. */
	for (unsigned wq = 0; wq < 2; wq++) {
		uint64_t sector = 200 + 64 * wq;

		for (unsigned i = 0; i < 8192; i++)
			((uint8_t *)gpa(&f, DATA))[i] = (uint8_t)(i * 13 + 5 + wq);
		watch_io(img);
		assert_int_equal(request_on(wq, VIRTIO_BLK_T_OUT, sector, DATA, 8192, false, &written),
				 VIRTIO_BLK_S_OK);
		assert_int_equal(written, 1);
		io = one_io(IO_WRITE, uring);
		assert_int_equal(io.offset, sector * 512);
		assert_int_equal(io_queue(&io), wq);
		image_read(sector * 512, back, 8192);
		assert_memory_equal(back, gpa(&f, DATA), 8192);

		memset(gpa(&f, DATA + 0x10000), 0, 8192);
		assert_int_equal(request_on(!wq, VIRTIO_BLK_T_IN, sector, DATA + 0x10000, 8192, true,
					    &written),
				 VIRTIO_BLK_S_OK);
		assert_int_equal(written, 8193);
		io = one_io(IO_READ, uring);
		assert_int_equal(io.offset, sector * 512);
		assert_int_equal(io_queue(&io), !wq);
		assert_memory_equal(gpa(&f, DATA + 0x10000), gpa(&f, DATA), 8192);
	}

	/* Both at once: writes (round 0), then reads crosswise (round 1). */
	watch_io(img);
	for (unsigned round = 0; round < 2; round++) {
		bool write = round == 0;

		for (unsigned q = 0; q < 2; q++) {
			uint16_t *aidx = gpa(&f, RING_AVAIL(q) + 2), *ring = gpa(&f, RING_AVAIL(q) + 4);

			for (unsigned i = 0; i < NREQ; i++) {
				/* Queue Q writes block Q*NREQ+i, and reads the other queue's. */
				unsigned blk = write ? q * NREQ + i : (!q) * NREQ + i;
				struct virtio_blk_outhdr h = {
					.type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
					.sector = FIRST + (uint64_t)blk * (LEN / 512),
				};
				uint64_t hdr = HDR + q * 0x8000ULL + 16 * i, st = STATUS + q * 0x1000ULL + i;
				uint64_t data = DATA + (uint64_t)(write ? blk : 2 * NREQ + q * NREQ + i) * LEN;

				if (write)
					for (unsigned b = 0; b < LEN; b++)
						((uint8_t *)gpa(&f, data))[b] = (uint8_t)(blk * 7 + b * 3 + (b >> 9));
				else
					memset(gpa(&f, data), 0, LEN);
				memcpy(gpa(&f, hdr), &h, sizeof(h));
				*(uint8_t *)gpa(&f, st) = 0xee;
				put_desc_at(&f, RING_DESC(q), 3 * i, hdr, 16, VRING_DESC_F_NEXT, 3 * i + 1);
				put_desc_at(&f, RING_DESC(q), 3 * i + 1, data, LEN,
					    VRING_DESC_F_NEXT | (write ? 0 : VRING_DESC_F_WRITE), 3 * i + 2);
				put_desc_at(&f, RING_DESC(q), 3 * i + 2, st, 1, VRING_DESC_F_WRITE, 0);
				ring[(uint16_t)(*aidx + i) % QS] = (uint16_t)(3 * i);
			}
			__atomic_store_n(aidx, (uint16_t)(*aidx + NREQ), __ATOMIC_RELEASE);
		}
		bar_wr(&f, VIRTIO_BAR_NOTIFY + 0 * VIRTIO_NOTIFY_MULT, 2, 0);
		bar_wr(&f, VIRTIO_BAR_NOTIFY + 1 * VIRTIO_NOTIFY_MULT, 2, 1);
		for (unsigned q = 0; q < 2; q++) {
			bool seen[NREQ] = { false };

			if (!wait_used(&f, q, (uint16_t)(next_head[q] + NREQ), 5000))
				fail_msg("queue %u: %u of %u requests completed", q,
					 (uint16_t)(used_idx(&f, q) - next_head[q]), NREQ);
			for (unsigned n = 0; n < NREQ; n++) {
				uint32_t id, len;
				unsigned i;

				used_elem(&f, q, QS, (uint16_t)(next_head[q] + n), &id, &len);
				i = id / 3;
				assert_true(id % 3 == 0 && i < NREQ && !seen[i]);
				seen[i] = true;
				assert_int_equal(len, write ? 1 : LEN + 1);
				assert_int_equal(*(uint8_t *)gpa(&f, STATUS + q * 0x1000ULL + i), VIRTIO_BLK_S_OK);
			}
			next_head[q] = (uint16_t)(next_head[q] + NREQ);
		}
	}
	/* The data: on the image as written, and in each reader's buffers. */
	for (unsigned blk = 0; blk < 2 * NREQ; blk++) {
		unsigned q = blk / NREQ, i = blk % NREQ;

		image_read((FIRST + (uint64_t)blk * (LEN / 512)) * 512, back, LEN);
		if (memcmp(back, gpa(&f, DATA + (uint64_t)blk * LEN), LEN))
			fail_msg("block %u, written on queue %u: not so on the image", blk, q);
		if (memcmp(gpa(&f, DATA + (uint64_t)(2 * NREQ + (!q) * NREQ + i) * LEN), back, LEN))
			fail_msg("block %u, written on queue %u: queue %u read something else", blk, q, !q);
	}
	/* Each request's I/O on its own queue's thread (short transfers
	 * would add some: at least one each). */
	nio = ios_taken();
	assert_true(nio >= 4 * NREQ);
	for (unsigned n = 0; n < nio; n++) {
		unsigned blk = (unsigned)((ios[n].offset / 512 - FIRST) / (LEN / 512));
		unsigned q = ios[n].op == IO_WRITE ? blk / NREQ : !(blk / NREQ);

		assert_true(ios[n].op == IO_WRITE || ios[n].op == IO_READ);
		assert_true(ios[n].uring == uring);
		assert_true(blk < 2 * NREQ);
		if (io_queue(&ios[n]) != q)
			fail_msg("the %s of block %u (queue %u's) was issued by '%s'", io_name(ios[n].op),
				 blk, q, ios[n].thread);
	}
}

static void test_two_queues(void **state)
{
	two_queues("", true);
}

static void test_two_queues_sync(void **state)
{
	two_queues("aio = sync\n", false);
}

static void test_discard_and_zeroes(void **state)
{
	struct virtio_blk_discard_write_zeroes seg = { .sector = 2048, .num_sectors = 2048 };
	uint64_t full, after;
	uint8_t back[512];

	disk("");
	assert_true(driver_init(&f, FEATURES & ~(1ULL << VIRTIO_BLK_F_RO), 1, QS) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	memset(gpa(&f, DATA), 0xab, 2 << 20);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 2048, DATA, 1 << 20, false, NULL), VIRTIO_BLK_S_OK);
	assert_int_equal(request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, NULL), VIRTIO_BLK_S_OK);
	full = image_blocks();
	assert_true(full >= 2048);
	/* DISCARD gives the blocks back: the image shrinks on the host. */
	memcpy(gpa(&f, DATA + (4 << 20)), &seg, sizeof(seg));
	assert_int_equal(request(VIRTIO_BLK_T_DISCARD, 0, DATA + (4 << 20), sizeof(seg), false, NULL),
			 VIRTIO_BLK_S_OK);
	after = image_blocks();
	if (after + 2048 > full)
		fail_msg("discard left %llu blocks of %llu", (unsigned long long)after,
			 (unsigned long long)full);
	image_read(2048 * 512, back, sizeof(back));
	for (unsigned i = 0; i < sizeof(back); i++)
		assert_int_equal(back[i], 0);
	/* WRITE_ZEROES over written data. */
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 8192, DATA, 4096, false, NULL), VIRTIO_BLK_S_OK);
	seg = (struct virtio_blk_discard_write_zeroes){ .sector = 8192, .num_sectors = 8 };
	memcpy(gpa(&f, DATA + (4 << 20)), &seg, sizeof(seg));
	assert_int_equal(request(VIRTIO_BLK_T_WRITE_ZEROES, 0, DATA + (4 << 20), sizeof(seg), false,
				 NULL), VIRTIO_BLK_S_OK);
	image_read(8192 * 512, back, sizeof(back));
	for (unsigned i = 0; i < sizeof(back); i++)
		assert_int_equal(back[i], 0);
	/* Past the end, unknown flags on DISCARD, a ragged segment list. */
	seg = (struct virtio_blk_discard_write_zeroes){ .sector = IMG_SIZE / 512 - 1, .num_sectors = 2 };
	memcpy(gpa(&f, DATA + (4 << 20)), &seg, sizeof(seg));
	assert_int_equal(request(VIRTIO_BLK_T_DISCARD, 0, DATA + (4 << 20), sizeof(seg), false, NULL),
			 VIRTIO_BLK_S_IOERR);
	seg = (struct virtio_blk_discard_write_zeroes){ .sector = 0, .num_sectors = 1, .flags = 1 };
	memcpy(gpa(&f, DATA + (4 << 20)), &seg, sizeof(seg));
	assert_int_equal(request(VIRTIO_BLK_T_DISCARD, 0, DATA + (4 << 20), sizeof(seg), false, NULL),
			 VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(request(VIRTIO_BLK_T_DISCARD, 0, DATA + (4 << 20), 10, false, NULL),
			 VIRTIO_BLK_S_IOERR);
}

/* A segment of no sectors is a well-formed no-op, even at the very end of
 * the disk (the spec sets no minimum; fallocate() refuses a length of 0). */
static void test_discard_nothing(void **state)
{
	struct virtio_blk_discard_write_zeroes seg[2] = {
		{ .sector = 16, .num_sectors = 0 },
		{ .sector = IMG_SIZE / 512, .num_sectors = 0 },
	};

	disk("");
	assert_true(driver_init(&f, FEATURES & ~(1ULL << VIRTIO_BLK_F_RO), 1, QS) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	memcpy(gpa(&f, DATA), seg, sizeof(seg));
	assert_int_equal(request(VIRTIO_BLK_T_DISCARD, 0, DATA, sizeof(seg), false, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(request(VIRTIO_BLK_T_WRITE_ZEROES, 0, DATA, sizeof(seg), false, NULL),
			 VIRTIO_BLK_S_OK);
	seg[0].flags = VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	memcpy(gpa(&f, DATA), seg, sizeof(seg));
	assert_int_equal(request(VIRTIO_BLK_T_WRITE_ZEROES, 0, DATA, sizeof(seg), false, NULL),
			 VIRTIO_BLK_S_OK);
}

static void test_readonly(void **state)
{
	uint8_t back[512], zero[512] = { 0 };

	disk("readonly = yes\n");
	/* The device says so. */
	assert_true(device_features(&f) & (1ULL << VIRTIO_BLK_F_RO));
	assert_false(device_features(&f) & (1ULL << VIRTIO_BLK_F_DISCARD));
	assert_true(driver_init(&f, FEATURES & ~(1ULL << VIRTIO_BLK_F_DISCARD) &
					   ~(1ULL << VIRTIO_BLK_F_WRITE_ZEROES), 1, QS) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	memset(gpa(&f, DATA), 0x5a, 512);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 0, DATA, 512, false, NULL), VIRTIO_BLK_S_IOERR);
	image_read(0, back, sizeof(back));
	assert_memory_equal(back, zero, sizeof(back));
	assert_int_equal(request(VIRTIO_BLK_T_IN, 0, DATA, 512, true, NULL), VIRTIO_BLK_S_OK);
}

#define WCE_OFF (VIRTIO_BAR_DEVICE + offsetof(struct virtio_blk_config, wce))

/* A write of 4 KiB at SECTOR: OK, on the image, in one I/O (on the
 * io_uring path or not, URING), which is write-through (RWF_DSYNC) or not
 * as DSYNC says. */
static void expect_write(uint64_t sector, uint8_t fill, bool uring, bool dsync)
{
	uint8_t back[4096];
	struct io_rec io;

	memset(gpa(&f, DATA), fill, sizeof(back));
	watch_io(img);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, sector, DATA, sizeof(back), false, NULL),
			 VIRTIO_BLK_S_OK);
	io = one_io(IO_WRITE, uring);
	assert_int_equal(io.offset, sector * 512);
	if (!(io.rw_flags & RWF_DSYNC) != !dsync)
		fail_msg("the write at sector %llu went %s RWF_DSYNC (flags %#x)",
			 (unsigned long long)sector, dsync ? "without" : "with", io.rw_flags);
	image_read(sector * 512, back, sizeof(back));
	assert_memory_equal(back, gpa(&f, DATA), sizeof(back));
}

/* The write cache (5.2.5, CONFIG_WCE) by what reaches the image, not by
 * the config byte: with the cache on a write is a plain write and no
 * sync of its own; the guest turning it off makes every write durable
 * when it completes (RWF_DSYNC); FLUSH is one fdatasync of the image
 * either way, and moves no data. URING: the io_uring path (the SQEs'
 * flags and opcodes), else the queue's thread's own system calls. */
static void write_cache(const char *extra, bool uring)
{
	unsigned ndirect, nbuffered;
	struct io_rec io;

	disk(extra);
	/* cache = writeback: the image through the page cache alone. */
	image_fds(&ndirect, &nbuffered);
	assert_int_equal(ndirect, 0);
	assert_int_equal(nbuffered, 1);
	assert_true(driver_init(&f, FEATURES & ~(1ULL << VIRTIO_BLK_F_RO), 1, QS) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	assert_int_equal(bar_rd(&f, WCE_OFF, 1), 1);
	expect_write(64, 0x11, uring, false);

	watch_io(img);
	assert_int_equal(request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, NULL), VIRTIO_BLK_S_OK);
	io = one_io(IO_SYNC, uring);
	assert_true(io.datasync);

	/* The guest turns its write cache off: writethrough writes. */
	bar_wr(&f, WCE_OFF, 1, 0);
	assert_int_equal(bar_rd(&f, WCE_OFF, 1), 0);
	expect_write(72, 0x22, uring, true);
	expect_write(80, 0x33, uring, true);
	/* A FLUSH still syncs (the guest may flush whatever its mode). */
	watch_io(img);
	assert_int_equal(request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, NULL), VIRTIO_BLK_S_OK);
	assert_true(one_io(IO_SYNC, uring).datasync);

	/* And on again. */
	bar_wr(&f, WCE_OFF, 1, 1);
	assert_int_equal(bar_rd(&f, WCE_OFF, 1), 1);
	expect_write(88, 0x44, uring, false);

	/* The capacity is not the guest's to write. */
	bar_wr(&f, VIRTIO_BAR_DEVICE, 8, 1);
	assert_int_equal(bar_rd(&f, VIRTIO_BAR_DEVICE, 8), IMG_SIZE / 512);

	/* A reset brings the cache back on, whatever the last driver chose. */
	bar_wr(&f, WCE_OFF, 1, 0);
	assert_true(driver_init(&f, FEATURES & ~(1ULL << VIRTIO_BLK_F_RO), 1, QS) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	next_head[0] = 0;
	assert_int_equal(bar_rd(&f, WCE_OFF, 1), 1);
	expect_write(92, 0x4a, uring, false);

	/* A driver without CONFIG_WCE: the cache follows FLUSH (5.2.5.1):
	 * there with FLUSH, write-through without. */
	assert_true(driver_init(&f, FEATURES & ~(1ULL << VIRTIO_BLK_F_RO) &
					   ~(1ULL << VIRTIO_BLK_F_CONFIG_WCE), 1, QS) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	next_head[0] = 0;
	expect_write(96, 0x55, uring, false);
	assert_true(driver_init(&f, FEATURES & ~(1ULL << VIRTIO_BLK_F_RO) &
					   ~(1ULL << VIRTIO_BLK_F_CONFIG_WCE) & ~(1ULL << VIRTIO_BLK_F_FLUSH),
				1, QS) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	next_head[0] = 0;
	expect_write(104, 0x66, uring, true);

	/* CONFIG_WCE without FLUSH: the device MUST initialize writeback
	 * to 0 (5.2.5.2), which the driver reads after FEATURES_OK; it
	 * could never flush a cache. */
	status_wr(&f, 0);
	status_wr(&f, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	driver_features(&f, FEATURES & ~(1ULL << VIRTIO_BLK_F_RO) & ~(1ULL << VIRTIO_BLK_F_FLUSH));
	status_wr(&f, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			      VIRTIO_CONFIG_S_FEATURES_OK);
	assert_true(status_rd(&f) & VIRTIO_CONFIG_S_FEATURES_OK);
	assert_int_equal(bar_rd(&f, WCE_OFF, 1), 0);
	queue_setup(&f, 0, QS);
	status_wr(&f, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			      VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	assert_true(status_rd(&f) & VIRTIO_CONFIG_S_DRIVER_OK);
	assert_int_equal(bar_rd(&f, WCE_OFF, 1), 0);
	next_head[0] = 0;
	expect_write(112, 0x77, uring, true);
}

static void test_write_cache(void **state)
{
	write_cache("", true);
}

static void test_write_cache_sync(void **state)
{
	write_cache("aio = sync\n", false);
}

/* Move this test's directory (and its image, and the runtime directory)
 * to a file system that has O_DIRECT: /var/tmp, else the build directory
 * this test runs from (/tmp may be a tmpfs without it). None: the test
 * fails, rather than pass without having tested cache = none. */
static void use_direct_dir(void)
{
	char exe[PATH_MAX] = "", fresh[sizeof(dir)], why[2][sizeof(dir) + 64];
	const char *cand[2] = { "/var/tmp", exe };
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n > 0 && (exe[n] = '\0', slash = strrchr(exe, '/')))
		*slash = '\0';
	for (unsigned c = 0; c < 2; c++) {
		char path[sizeof(img)], cmd[sizeof(dir) + 16];
		int fd;

		if (strlen(cand[c]) + sizeof("/partvm-blk-XXXXXX") > sizeof(fresh)) {
			snprintf(why[c], sizeof(why[c]), "%.80s...: path too long", cand[c]);
			continue;
		}
		snprintf(fresh, sizeof(fresh), "%s/partvm-blk-XXXXXX", cand[c]);
		if (!mkdtemp(fresh)) {
			snprintf(why[c], sizeof(why[c]), "%s: %s", fresh, strerror(errno));
			continue;
		}
		snprintf(path, sizeof(path), "%s/disk.img", fresh);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, IMG_SIZE), 0);
		close(fd);
		/* As disk_open() asks for it: EINVAL is a file system without. */
		fd = open(path, O_RDWR | O_DIRECT);
		if (fd >= 0) {
			close(fd);
			snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
			assert_int_equal(system(cmd), 0);
			memcpy(dir, fresh, sizeof(dir));
			memcpy(img, path, sizeof(img));
			setenv("PARTVM_RUNTIME_DIR", dir, 1);
			watch_io(img);
			return;
		}
		snprintf(why[c], sizeof(why[c]), "%s: %s", fresh, strerror(errno));
		snprintf(cmd, sizeof(cmd), "rm -rf %s", fresh);
		assert_int_equal(system(cmd), 0);
	}
	fail_msg("no directory here has O_DIRECT for cache = none (%s; %s): give /var/tmp a "
		 "file system with it (ext4, xfs)", why[0], why[1]);
}

/* cache = none: the image open with O_DIRECT (and once more through the
 * page cache); guest buffers O_DIRECT can take go to the direct fd, a
 * buffer at an odd address through the page cache; the data lands
 * either way. */
static void direct(const char *extra, bool uring)
{
	char text[64];
	uint8_t back[4096];
	unsigned ndirect, nbuffered;

	use_direct_dir();
	snprintf(text, sizeof(text), "cache = none\n%s", extra);
	disk(text);
	image_fds(&ndirect, &nbuffered);
	assert_int_equal(ndirect, 1);
	assert_int_equal(nbuffered, 1);
	assert_true(driver_init(&f, FEATURES & ~(1ULL << VIRTIO_BLK_F_RO), 1, QS) &
		    VIRTIO_CONFIG_S_DRIVER_OK);

	/* Aligned (guest RAM is page-aligned): O_DIRECT, both ways. */
	for (unsigned i = 0; i < sizeof(back); i++)
		((uint8_t *)gpa(&f, DATA))[i] = (uint8_t)(i * 5 + 1);
	watch_io(img);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 16, DATA, 4096, false, NULL), VIRTIO_BLK_S_OK);
	assert_true(one_io(IO_WRITE, uring).direct);
	image_read(16 * 512, back, sizeof(back));
	assert_memory_equal(back, gpa(&f, DATA), sizeof(back));
	memset(gpa(&f, DATA + 0x10000), 0, 4096);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 16, DATA + 0x10000, 4096, true, NULL),
			 VIRTIO_BLK_S_OK);
	assert_true(one_io(IO_READ, uring).direct);
	assert_memory_equal(gpa(&f, DATA + 0x10000), back, sizeof(back));

	/* At odd addresses: through the page cache. */
	memset(gpa(&f, DATA + 3), 0x77, 1024);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 10, DATA + 3, 1024, false, NULL), VIRTIO_BLK_S_OK);
	assert_false(one_io(IO_WRITE, uring).direct);
	image_read(10 * 512, back, 1024);
	for (unsigned i = 0; i < 1024; i++)
		assert_int_equal(back[i], 0x77);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 10, DATA + 4096 + 5, 1024, true, NULL), VIRTIO_BLK_S_OK);
	assert_false(one_io(IO_READ, uring).direct);
	assert_memory_equal(gpa(&f, DATA + 4096 + 5), back, 1024);
}

static void test_direct(void **state)
{
	direct("", true);
}

static void test_direct_sync(void **state)
{
	direct("aio = sync\n", false);
}

/* Many requests in flight, as Linux sends them: EVENT_IDX negotiated, a
 * kick only when the device's avail_event asks for one, completions
 * taken as they come. Random reads and writes of 4-64 KiB checked
 * against a shadow copy of the disk: nothing is lost or stalls. */
static void stress(const char *extra);

static void test_stress_event_idx(void **state)
{
	stress("");
}

/* The same with the I/O on the queue's thread (aio = sync, what partvm
 * falls back to without io_uring). */
static void test_stress_sync(void **state)
{
	stress("aio = sync\n");
}

static void stress(const char *extra)
{
	enum { N = 4000, DEPTH = 64, MAXLEN = 64 << 10, REGION = DEPTH * MAXLEN };
	uint16_t *aidx = gpa(&f, RING_AVAIL(0) + 2), *ring = gpa(&f, RING_AVAIL(0) + 4);
	uint16_t *avail_event = gpa(&f, RING_USED(0) + 4 + 8 * QS);
	uint16_t *used_event = gpa(&f, RING_AVAIL(0) + 4 + 2 * QS);
	uint8_t *shadow = calloc(1, REGION);
	struct { bool busy, write; uint64_t sector; uint32_t len; } slot[DEPTH] = { 0 };
	unsigned sent = 0, done = 0, kicks = 0;
	uint16_t last_used = 0;
	unsigned seed = 12345;

	assert_non_null(shadow);
	disk(extra);
	assert_true(driver_init(&f, (FEATURES & ~(1ULL << VIRTIO_BLK_F_RO)) |
					   (1ULL << VIRTIO_RING_F_EVENT_IDX), 1, QS) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	while (done < N) {
		/* Fill free slots; slot i uses descriptors 3i..3i+2. */
		uint16_t old = *aidx, added = 0;

		for (unsigned i = 0; i < DEPTH && sent < N; i++) {
			struct virtio_blk_outhdr h;
			uint64_t data = DATA + (uint64_t)i * MAXLEN;

			if (slot[i].busy)
				continue;
			seed = seed * 1103515245 + 12345;
			slot[i].write = (seed >> 16) & 1;
			slot[i].len = 4096 * (1 + (seed >> 20) % 16);
			/* Each slot its own 64 KiB: requests in flight never overlap
			 * (their order is the device's to choose). */
			slot[i].sector = (uint64_t)i * (MAXLEN / 512) + ((seed >> 8) % 8) * 8;
			if (slot[i].sector * 512 + slot[i].len > (uint64_t)(i + 1) * MAXLEN)
				slot[i].len = (uint32_t)((uint64_t)(i + 1) * MAXLEN - slot[i].sector * 512);
			h = (struct virtio_blk_outhdr){ .type = slot[i].write ? VIRTIO_BLK_T_OUT :
								       VIRTIO_BLK_T_IN, .sector = slot[i].sector };
			memcpy(gpa(&f, HDR + 16 * i), &h, sizeof(h));
			if (slot[i].write)
				for (uint32_t b = 0; b < slot[i].len; b++)
					((uint8_t *)gpa(&f, data))[b] = (uint8_t)(seed + b * 31 + sent);
			put_desc_at(&f, RING_DESC(0), 3 * i, HDR + 16 * i, 16, VRING_DESC_F_NEXT, 3 * i + 1);
			put_desc_at(&f, RING_DESC(0), 3 * i + 1, data, slot[i].len,
				    VRING_DESC_F_NEXT | (slot[i].write ? 0 : VRING_DESC_F_WRITE), 3 * i + 2);
			put_desc_at(&f, RING_DESC(0), 3 * i + 2, STATUS + i, 1, VRING_DESC_F_WRITE, 0);
			if (slot[i].write)
				memcpy(shadow + slot[i].sector * 512, gpa(&f, data), slot[i].len);
			slot[i].busy = true;
			ring[(uint16_t)(old + added) % QS] = (uint16_t)(3 * i);
			added++;
			sent++;
		}
		if (added) {
			__atomic_store_n(aidx, (uint16_t)(old + added), __ATOMIC_SEQ_CST);
			if (vring_need_event(__atomic_load_n(avail_event, __ATOMIC_SEQ_CST),
					     (uint16_t)(old + added), old)) {
				bar_wr(&f, VIRTIO_BAR_NOTIFY, 2, 0);
				kicks++;
			}
		}
		/* Take what completed; ask for an interrupt at the next one. */
		*used_event = last_used;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!wait_used(&f, 0, (uint16_t)(last_used + 1), 5000))
			fail_msg("stalled: %u sent, %u done, avail %u, avail_event %u", sent, done, *aidx,
				 *avail_event);
		while (last_used != used_idx(&f, 0)) {
			uint32_t id, len;
			unsigned i;

			used_elem(&f, 0, QS, last_used, &id, &len);
			i = id / 3;
			assert_true(i < DEPTH && slot[i].busy);
			assert_int_equal(*(uint8_t *)gpa(&f, STATUS + i), VIRTIO_BLK_S_OK);
			if (len != (slot[i].write ? 1 : slot[i].len + 1))
				fail_msg("request %u (slot %u, %s of %u bytes): used.len %u", done, i,
					 slot[i].write ? "write" : "read", slot[i].len, len);
			if (!slot[i].write &&
			    memcmp(gpa(&f, DATA + (uint64_t)i * MAXLEN), shadow + slot[i].sector * 512,
				   slot[i].len)) {
				static uint8_t file[MAXLEN];

				image_read(slot[i].sector * 512, file, slot[i].len);
				fail_msg("read %u (slot %u, sector %llu, %u bytes): guest got %02x.., "
					 "shadow %02x.., image %02x..; file==shadow %d, file==guest %d",
					 done, i, (unsigned long long)slot[i].sector, slot[i].len,
					 *(uint8_t *)gpa(&f, DATA + (uint64_t)i * MAXLEN),
					 shadow[slot[i].sector * 512], file[0],
					 !memcmp(file, shadow + slot[i].sector * 512, slot[i].len),
					 !memcmp(file, gpa(&f, DATA + (uint64_t)i * MAXLEN), slot[i].len));
			}
			slot[i].busy = false;
			last_used++;
			done++;
		}
	}
	print_message("%u requests, %u kicks\n", done, kicks);
	free(shadow);
}

/* A reset with requests in flight (the guest rebooting under load): once
 * the reset's write returns nothing of the guest's is touched again, and
 * the device works after the driver sets it up anew. */
static void reset_in_flight(const char *extra)
{
	enum { DEPTH = 64, LEN = 64 << 10 };
	uint16_t *aidx = gpa(&f, RING_AVAIL(0) + 2), *ring = gpa(&f, RING_AVAIL(0) + 4);
	static uint8_t used_before[8 * QS + 4], status_before[DEPTH];
	struct timespec pause = { 0, 50 * 1000000 };

	disk(extra);
	for (int round = 0; round < 3; round++) {
		assert_true(driver_init(&f, FEATURES & ~(1ULL << VIRTIO_BLK_F_RO), 1, QS) &
			    VIRTIO_CONFIG_S_DRIVER_OK);
		for (unsigned i = 0; i < DEPTH; i++) {
			struct virtio_blk_outhdr h = { .type = i % 2 ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
						       .sector = (uint64_t)i * (LEN / 512) };

			memcpy(gpa(&f, HDR + 16 * i), &h, sizeof(h));
			*(uint8_t *)gpa(&f, STATUS + i) = 0xee;
			put_desc_at(&f, RING_DESC(0), 3 * i, HDR + 16 * i, 16, VRING_DESC_F_NEXT, 3 * i + 1);
			put_desc_at(&f, RING_DESC(0), 3 * i + 1, DATA + (uint64_t)i * LEN, LEN,
				    VRING_DESC_F_NEXT | (i % 2 ? 0 : VRING_DESC_F_WRITE), 3 * i + 2);
			put_desc_at(&f, RING_DESC(0), 3 * i + 2, STATUS + i, 1, VRING_DESC_F_WRITE, 0);
			ring[i] = (uint16_t)(3 * i);
		}
		__atomic_store_n(aidx, DEPTH, __ATOMIC_SEQ_CST);
		bar_wr(&f, VIRTIO_BAR_NOTIFY, 2, 0);
		status_wr(&f, 0);
		assert_int_equal(status_rd(&f), 0);
		memcpy(used_before, gpa(&f, RING_USED(0)), sizeof(used_before));
		memcpy(status_before, gpa(&f, STATUS), sizeof(status_before));
		nanosleep(&pause, NULL);
		assert_memory_equal(gpa(&f, RING_USED(0)), used_before, sizeof(used_before));
		assert_memory_equal(gpa(&f, STATUS), status_before, sizeof(status_before));
	}
	assert_true(driver_init(&f, FEATURES & ~(1ULL << VIRTIO_BLK_F_RO), 1, QS) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	next_head[0] = 0;
	assert_int_equal(request(VIRTIO_BLK_T_IN, 0, DATA, 4096, true, NULL), VIRTIO_BLK_S_OK);
}

static void test_reset_in_flight(void **state)
{
	reset_in_flight("");
}

static void test_reset_in_flight_sync(void **state)
{
	reset_in_flight("aio = sync\n");
}

/* A guest that never lets up: as each request completes it offers it
 * again. A reset (or partvm stopping) must still get the
 * queue's thread to stop. */
static volatile bool flood_stop;
static int flood_kick_fd;
static unsigned long flood_count;        /* requests offered again */

static void *flood(void *arg)
{
	uint16_t *aidx = gpa(&f, RING_AVAIL(0) + 2), *ring = gpa(&f, RING_AVAIL(0) + 4);
	uint16_t seen = 0;

	while (!flood_stop) {
		uint16_t used = used_idx(&f, 0);

		if (seen == used)
			continue;
		while (seen != used) {
			uint32_t id, len;
			uint16_t a = __atomic_load_n(aidx, __ATOMIC_RELAXED);

			used_elem(&f, 0, QS, seen, &id, &len);
			ring[a % QS] = (uint16_t)id;
			__atomic_store_n(aidx, (uint16_t)(a + 1), __ATOMIC_RELEASE);
			seen++;
			flood_count++;
		}
		/* Without EVENT_IDX a driver kicks after adding; under KVM the
		 * doorbell is an ioeventfd, which takes no lock of ours. */
		(void)!eventfd_write(flood_kick_fd, 1);
	}
	return NULL;
}

static void test_stop_under_flood(void **state)
{
	enum { N = 120 };
	uint16_t *aidx = gpa(&f, RING_AVAIL(0) + 2), *ring = gpa(&f, RING_AVAIL(0) + 4);
	struct timespec pause = { 0, 200 * 1000000 };
	pthread_t t;
	struct virtio_dev *vdev = disk("");

	assert_true(driver_init(&f, FEATURES & ~(1ULL << VIRTIO_BLK_F_RO), 1, QS) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	flood_kick_fd = vdev->vqs[0].kick_fd;
	for (unsigned i = 0; i < N; i++) {
		struct virtio_blk_outhdr h = { .type = VIRTIO_BLK_T_GET_ID };

		memcpy(gpa(&f, HDR + 16 * i), &h, sizeof(h));
		/* GET_ID into the status byte alone: an ID of no bytes. */
		put_desc_at(&f, RING_DESC(0), 2 * i, HDR + 16 * i, 16, VRING_DESC_F_NEXT, 2 * i + 1);
		put_desc_at(&f, RING_DESC(0), 2 * i + 1, STATUS + i, 1, VRING_DESC_F_WRITE, 0);
		ring[i] = (uint16_t)(2 * i);
	}
	flood_stop = false;
	flood_count = 0;
	assert_int_equal(pthread_create(&t, NULL, flood, NULL), 0);
	__atomic_store_n(aidx, N, __ATOMIC_RELEASE);
	bar_wr(&f, VIRTIO_BAR_NOTIFY, 2, 0);
	nanosleep(&pause, NULL);
	/* The flood is on: each request done many times over, more coming. */
	if (__atomic_load_n(&flood_count, __ATOMIC_RELAXED) < 4 * N)
		fail_msg("the flood did not get going (%lu requests offered again)", flood_count);
	alarm(10);      /* a thread that never stops: SIGALRM ends the test */
	status_wr(&f, 0);
	alarm(0);
	assert_int_equal(status_rd(&f), 0);
	flood_stop = true;
	pthread_join(t, NULL);
}

/* ---- Config and host checks ---------------------------------------------- */

static void expect_config_error(const char *text, const char *want)
{
	struct vm_config c;
	struct config_error err = { { 0 } };
	char full[1024];
	int r;

	/* A config file needs a kernel: any readable file will do here. */
	snprintf(full, sizeof(full), "%s[boot]\nkernel = %s\n", text, img);
	config_init(&c, board_device_types);
	r = config_load_string(&c, "p.conf", full, &err);
	if (r == 0)
		r = config_validate(&c, &err);
	assert_true(r < 0);
	if (!strstr(err.msg, want))
		fail_msg("want '%s' in '%s'", want, err.msg);
	config_free(&c);
}

static void test_config(void **state)
{
	char text[512], odd[sizeof(dir) + 16], ro[sizeof(dir) + 16];
	struct config_error err = { { 0 } };
	struct vm_config c;
	const char *why;
	int fd;

	snprintf(text, sizeof(text), "[disk]\npath = %s\n[disk]\npath = %s\n", img, img);
	expect_config_error(text, "the same image as disk");
	expect_config_error("[disk]\nreadonly = yes\n", "p.conf:1: [disk] without 'path = FILE'");
	expect_config_error("[disk]\npath = /nonexistent.img\n",
			    "p.conf:2: disk '/nonexistent.img': No such file or directory");
	snprintf(text, sizeof(text), "[disk]\npath = %s\n", dir);
	expect_config_error(text, "a directory, not a disk image");
	snprintf(odd, sizeof(odd), "%s/odd.img", dir);
	fd = open(odd, O_RDWR | O_CREAT, 0600);
	assert_int_equal(ftruncate(fd, 1000), 0);
	close(fd);
	snprintf(text, sizeof(text), "[disk]\npath = %s\n", odd);
	expect_config_error(text, "its size is not a multiple of 512 bytes");
	expect_config_error("[disk]\npath = /dev/null\nserial = a b\n", "serial = 'a b'");
	expect_config_error("[disk]\npath = /x\nserial = 123456789012345678901\n", "too long");
	expect_config_error("[disk]\npath = /x\ncache = unsafe\n", "expected writeback or none");
	expect_config_error("[disk]\npath = /x\nqueues = 0\n", "1..16");
	expect_config_error("[disk]\npath = /x\nbogus = 1\n",
			    "unknown key 'bogus' in [disk] (known: path, readonly, serial, cache, queues, discard, aio)");
	/* A file partvm may only read needs readonly (root ignores modes:
	 * a read-only bind would be the case there; check as a user). */
	snprintf(ro, sizeof(ro), "%s/ro.img", dir);
	fd = open(ro, O_RDWR | O_CREAT, 0400);
	assert_int_equal(ftruncate(fd, 4096), 0);
	close(fd);
	if (geteuid() != 0) {
		snprintf(text, sizeof(text), "[disk]\npath = %s\n", ro);
		expect_config_error(text, "use readonly");
	}
	assert_int_equal(disk_check(ro, true, NULL, &why), 0);
	/* --disk takes the same. */
	config_init(&c, board_device_types);
	snprintf(text, sizeof(text), "%s,readonly,serial=abc,cache=none,queues=2", img);
	assert_int_equal(config_add_option(&c, config_find_type(&c, "virtio-blk"), text, &why), 0);
	assert_int_equal(c.ndevices, 1);
	assert_int_equal(config_add_option(&c, config_find_type(&c, "virtio-blk"), "x,colour=red", &why),
			 -EINVAL);
	assert_non_null(strstr(why, "unknown option"));
	assert_int_equal(c.ndevices, 1);
	assert_int_equal(config_validate(&c, &err), 0);
	config_free(&c);
}

static void test_lock_names_holder(void **state)
{
	struct disk d, d2, r1, r2;
	char holder[300] = "", fresh[sizeof(dir) + 16];

	/* A writer holds it: a second writer and a reader are refused with
	 * the first one's name; readers share. */
	assert_int_equal(disk_open(&d, img, false, false, dir, "alpha", holder, sizeof(holder)), 0);
	assert_int_equal(disk_open(&d2, img, false, false, dir, "beta", holder, sizeof(holder)), -EBUSY);
	disk_close(&d2);
	assert_non_null(strstr(holder, "partition 'alpha' (pid "));
	holder[0] = '\0';
	assert_int_equal(disk_probe_lock(img, true, dir, holder, sizeof(holder)), -EBUSY);
	assert_non_null(strstr(holder, "partition 'alpha'"));
	disk_close(&d);
	assert_int_equal(disk_probe_lock(img, false, dir, holder, sizeof(holder)), 0);
	assert_int_equal(disk_open(&r1, img, true, false, dir, "r1", holder, sizeof(holder)), 0);
	assert_int_equal(disk_open(&r2, img, true, false, dir, "r2", holder, sizeof(holder)), 0);
	assert_int_equal(disk_probe_lock(img, false, dir, holder, sizeof(holder)), -EBUSY);
	disk_close(&r1);
	disk_close(&r2);
	/* The records are gone with their holders. */
	assert_int_equal(disk_probe_lock(img, false, dir, holder, sizeof(holder)), 0);

	/* The first partition on a fresh host: no runtime directory yet
	 * (partvm makes its control socket's after the devices). */
	snprintf(fresh, sizeof(fresh), "%s/run/partvm", dir);
	assert_int_equal(disk_open(&d, img, false, false, fresh, "first", holder, sizeof(holder)), 0);
	holder[0] = '\0';
	assert_int_equal(disk_probe_lock(img, false, fresh, holder, sizeof(holder)), -EBUSY);
	assert_non_null(strstr(holder, "partition 'first' (pid "));
	disk_close(&d);
}

/* `partvm run` checks the lock before anything starts (preflight), and
 * the device takes it when created. A partition that takes the image in
 * between is refused there too, naming it, as a refusal of the user's
 * input: partvm run exits 2 for it as for the preflight's
 * (vm->input_refused, core/cli/run.c). */
static void test_lock_taken_after_preflight(void **state)
{
	struct config_error err = { { 0 } };
	char text[512], holder[300] = "", want[400];
	const struct device_conf *dc;
	struct capture cap;
	struct device dev;
	struct disk thief;
	int r;

	snprintf(text, sizeof(text), "[partition]\nname = t\n[disk]\npath = %s\n", img);
	if (config_load_string(&f.cfg, "test.conf", text, &err) < 0)
		fail_msg("config: %s", err.msg);
	dc = &f.cfg.devices[0];
	assert_int_equal(devices_preflight(&f.cfg, &err), 0);
	assert_string_equal(err.msg, "");

	assert_int_equal(disk_open(&thief, img, false, false, dir, "thief", holder, sizeof(holder)), 0);
	dev = (struct device){ .type = dc->type, .vm = &f.vm, .dc = dc, .name = "virtio-blk0" };
	capture_begin(&cap);
	r = dc->type->create(&dev, NULL);
	capture_end(&cap);
	dc->type->free(&dev);
	assert_int_equal(r, -EBUSY);
	assert_true(f.vm.input_refused);
	snprintf(want, sizeof(want), "virtio-blk0: disk '%s' is in use by partition 'thief' (pid %d)",
		 img, (int)getpid());
	if (cap.lines != 1 || !strstr(cap.text, want))
		fail_msg("want one line with \"%s\", got %u: %s", want, cap.lines, cap.text);

	/* The preflight, had it come now, says so the same way. */
	assert_int_equal(devices_preflight(&f.cfg, &err), -EBUSY);
	assert_non_null(strstr(err.msg, "in use by partition 'thief'"));
	disk_close(&thief);
}

static void probe_as_other_user(int fd, void *arg)
{
	char holder[300] = "";
	int r = disk_probe_lock(img, true, dir, holder, sizeof(holder));

	dprintf(fd, "%d %s", r, holder);
}

/* A partition run as another user holds the image: its process lives,
 * though kill(pid, 0) gives EPERM, and the refusal names it (the /proc
 * scan cannot: another user's fds are hidden). As root, a child that is
 * nobody asks about this process's lock; unprivileged, the record names
 * PID 1 (another user's). */
static void test_lock_names_holder_of_other_user(void **state)
{
	char holder[300] = "", want[300], out[400], name[64];
	struct disk d;
	struct stat st;
	pid_t other;

	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(chmod(img, 0644), 0);
	assert_int_equal(disk_open(&d, img, false, false, dir, "alpha", holder, sizeof(holder)), 0);
	if (geteuid() == 0) {
		assert_int_equal(other_user_run(probe_as_other_user, NULL, out, sizeof(out)), 0);
		snprintf(want, sizeof(want), "%d partition 'alpha' (pid %d)", -EBUSY, (int)getpid());
		assert_string_equal(out, want);
		disk_close(&d);
		return;
	}
	other = other_user_pid();
	if (!other) {
		disk_close(&d);
		skip();
	}
	assert_int_equal(stat(img, &st), 0);
	snprintf(name, sizeof(name), "%llx-%llx", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	snprintf(want, sizeof(want), "%d init\n", (int)other);
	snprintf(out, sizeof(out), "%s/disks", dir);
	assert_int_equal(statefile_write(out, name, want), 0);
	assert_int_equal(disk_probe_lock(img, true, dir, holder, sizeof(holder)), -EBUSY);
	snprintf(want, sizeof(want), "partition 'init' (pid %d)", (int)other);
	assert_string_equal(holder, want);
	disk_close(&d);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_read_write),
		T(test_refusals),
		T(test_no_status_byte),
		T(test_start_fails_half_way),
		T(test_two_queues),
		T(test_two_queues_sync),
		T(test_discard_and_zeroes),
		T(test_discard_nothing),
		T(test_readonly),
		T(test_write_cache),
		T(test_write_cache_sync),
		T(test_direct),
		T(test_direct_sync),
		T(test_stress_event_idx),
		T(test_stress_sync),
		T(test_reset_in_flight),
		T(test_reset_in_flight_sync),
		T(test_stop_under_flood),
		T(test_config),
		T(test_lock_names_holder),
		T(test_lock_taken_after_preflight),
		T(test_lock_names_holder_of_other_user),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
