// SPDX-License-Identifier: GPL-2.0-only
/*
 * The split virtqueue against rings a hostile guest crafts: chains that
 * loop, point outside guest RAM or into the PCI hole, run past the queue
 * size or their table, overflow 32-bit lengths, put readable after
 * writable buffers, nest indirect tables; rings that are misaligned or
 * not in RAM. Each breaks the queue with a reason and never yields a
 * buffer outside guest RAM. And the good paths: chains, indirect
 * tables, used entries, EVENT_IDX and NO_INTERRUPT.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <linux/virtio_ring.h>
#include <string.h>

#include "core/virtio/internal.h"
#include "core/vm/layout.h"
#include "core/vm/memory.h"

#define QSIZE 8
#define DESC  0x100000ULL
#define AVAIL 0x101000ULL
#define USED  0x102000ULL
#define BUF   0x200000ULL
#define RAM   (1ULL << 30)

static struct guest_memory mem;
static struct virtqueue vq;
static struct iovec iov[QSIZE];
static uint16_t avail_idx;

static void *gp(uint64_t gpa)
{
	void *p = memory_guest_ptr(&mem, gpa, 1);

	assert_non_null(p);
	return p;
}

static void put_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = gp(DESC + 16 * i);

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

/* Indirect table entry I at GPA T. */
static void put_indirect(uint64_t t, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
			 uint16_t next)
{
	uint8_t *d = gp(t + 16 * i);

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

/* Make HEAD available, as a driver does. */
static void offer(uint16_t head)
{
	uint16_t *ring = gp(AVAIL + 4);

	ring[avail_idx % QSIZE] = head;
	avail_idx++;
	*(uint16_t *)gp(AVAIL + 2) = avail_idx;
}

static int setup(void **state)
{
	assert_int_equal(memory_map(&mem, RAM, MEMORY_BACKING_ANONYMOUS, LAYOUT_DIRECT_BOOT), 0);
	virtq_init(&vq, NULL, &mem, 0, QSIZE);
	vq.size = QSIZE;
	vq.desc_gpa = DESC;
	vq.avail_gpa = AVAIL;
	vq.used_gpa = USED;
	assert_int_equal(virtq_enable(&vq, false, true), 0);
	avail_idx = 0;
	memset(gp(AVAIL), 0, 4096);
	memset(gp(USED), 0, 4096);
	return 0;
}

static int teardown(void **state)
{
	memory_unmap(&mem);
	return 0;
}

static void expect_broken(const char *why)
{
	struct virtq_req req;

	assert_int_equal(virtq_pop(&vq, &req, iov, QSIZE), -EBADMSG);
	assert_true(vq.broken);
	if (!strstr(vq.broken_why, why))
		fail_msg("broken_why '%s' does not say '%s'", vq.broken_why, why);
	/* Broken stays broken: nothing more is taken. */
	assert_int_equal(virtq_pop(&vq, &req, iov, QSIZE), -EBADMSG);
}

static void test_chain(void **state)
{
	struct virtq_req req;
	uint32_t *used;

	assert_int_equal(virtq_pop(&vq, &req, iov, QSIZE), 0);
	put_desc(3, BUF, 16, VRING_DESC_F_NEXT, 5);
	put_desc(5, BUF + 4096, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 6);
	put_desc(6, BUF + 8192, 1, VRING_DESC_F_WRITE, 0);
	offer(3);
	assert_int_equal(virtq_pop(&vq, &req, iov, QSIZE), 1);
	assert_int_equal(req.head, 3);
	assert_int_equal(req.nout, 1);
	assert_int_equal(req.nin, 2);
	assert_int_equal(req.out_len, 16);
	assert_int_equal(req.in_len, 513);
	assert_ptr_equal(iov[0].iov_base, gp(BUF));
	assert_ptr_equal(iov[2].iov_base, gp(BUF + 8192));
	/* Copies stay inside the buffers. */
	memcpy(gp(BUF), "0123456789abcdef", 16);
	char in[32] = { 0 };
	assert_int_equal(virtq_req_read(&req, 4, in, sizeof(in)), 12);
	assert_string_equal(in, "456789abcdef");
	assert_int_equal(virtq_req_write(&req, 510, "xyzw", 4), 3);
	assert_memory_equal(gp(BUF + 4096 + 510), "xy", 2);
	assert_memory_equal(gp(BUF + 8192), "z", 1);

	virtq_push(&vq, req.head, 7);
	used = gp(USED + 4);
	assert_int_equal(*(uint16_t *)gp(USED + 2), 1);
	assert_int_equal(used[0], 3);
	assert_int_equal(used[1], 7);
	assert_int_equal(virtq_pop(&vq, &req, iov, QSIZE), 0);
	/* Without EVENT_IDX the driver's NO_INTERRUPT flag decides. */
	assert_true(virtq_should_notify(&vq));
	*(uint16_t *)gp(AVAIL) = VRING_AVAIL_F_NO_INTERRUPT;
	assert_false(virtq_should_notify(&vq));
}

static void test_indirect(void **state)
{
	const uint64_t t = BUF + 0x10000;
	struct virtq_req req;

	put_indirect(t, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	put_indirect(t, 1, BUF + 4096, 4096, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	put_indirect(t, 2, BUF + 8192, 1, VRING_DESC_F_WRITE, 0);
	put_desc(0, t, 3 * 16, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	assert_int_equal(virtq_pop(&vq, &req, iov, QSIZE), 1);
	assert_int_equal(req.nout, 1);
	assert_int_equal(req.nin, 2);
	assert_int_equal(req.in_len, 4097);
}

static void test_loop(void **state)
{
	put_desc(0, BUF, 8, VRING_DESC_F_NEXT, 1);
	put_desc(1, BUF, 8, VRING_DESC_F_NEXT, 0);
	offer(0);
	expect_broken("a loop?");
}

static void test_self_loop_in_indirect(void **state)
{
	const uint64_t t = BUF + 0x10000;

	put_indirect(t, 0, BUF, 8, VRING_DESC_F_NEXT, 1);
	put_indirect(t, 1, BUF, 8, VRING_DESC_F_NEXT, 1);
	put_desc(0, t, 2 * 16, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken("a loop?");
}

static void test_next_out_of_table(void **state)
{
	put_desc(0, BUF, 8, VRING_DESC_F_NEXT, QSIZE);
	offer(0);
	expect_broken("points past its table of 8");
}

static void test_head_out_of_table(void **state)
{
	offer(QSIZE);
	expect_broken("names descriptor 8 of 8");
}

static void test_avail_index_jump(void **state)
{
	/* The driver claims more buffers than the queue holds. */
	*(uint16_t *)gp(AVAIL + 2) = QSIZE + 1;
	expect_broken("made 9 buffers available in a queue of 8");
}

static void test_buffer_outside_ram(void **state)
{
	put_desc(0, RAM + 4096, 8, 0, 0);
	offer(0);
	expect_broken("is not guest RAM");
}

static void test_buffer_in_pci_hole(void **state)
{
	/* ECAM, in the PCI hole: MMIO, never guest RAM. */
	put_desc(0, LAYOUT_ECAM_START, 4096, VRING_DESC_F_WRITE, 0);
	offer(0);
	expect_broken("0xe0000000 (4096 bytes) is not guest RAM");
}

static void test_buffer_crossing_ram_end(void **state)
{
	put_desc(0, RAM - 8, 16, 0, 0);
	offer(0);
	expect_broken("is not guest RAM");
}

static void test_address_wraps(void **state)
{
	/* addr + len past 2^64: must not wrap into low RAM. */
	put_desc(0, 0xfffffffffffff000ULL, 0x2000, 0, 0);
	offer(0);
	expect_broken("is not guest RAM");
}

static void test_length_overflow(void **state)
{
	/* Five 1 GiB buffers (the same RAM, each valid): 5 GiB in one
	 * request overflows used.len's 32 bits. */
	for (unsigned i = 0; i < 5; i++)
		put_desc(i, 0, 1U << 30, VRING_DESC_F_WRITE | (i < 4 ? VRING_DESC_F_NEXT : 0), i + 1);
	offer(0);
	expect_broken("more than 4 GiB");
}

static void test_readable_after_writable(void **state)
{
	put_desc(0, BUF, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	put_desc(1, BUF, 8, 0, 0);
	offer(0);
	expect_broken("device-readable buffer after a writable one");
}

static void test_nested_indirect(void **state)
{
	const uint64_t t = BUF + 0x10000;

	put_indirect(t, 0, t, 16, VRING_DESC_F_INDIRECT, 0);
	put_desc(0, t, 16, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken("indirect descriptor inside an indirect table");
}

static void test_indirect_bad_length(void **state)
{
	put_desc(0, BUF, 24, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken("indirect table of 24 bytes");
}

static void test_indirect_too_long(void **state)
{
	put_desc(0, BUF, 16 * (QSIZE + 1), VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken("indirect table of 144 bytes");
}

/* Buffers in the ring's table and then a full indirect table: each table
 * is within its bounds, the chain is longer than the queue (2.7.5.3.1),
 * and a caller sized for a chain of the queue's length must be safe. The
 * fuzzer's virtqueue target found it (more buffers than the queue size). */
static void test_chain_into_indirect_too_long(void **state)
{
	struct iovec big[2 * QSIZE];
	struct virtq_req req;

	put_desc(0, BUF, 8, VRING_DESC_F_NEXT, 1);
	put_desc(1, BUF + 0x10000, 16 * QSIZE, VRING_DESC_F_INDIRECT, 0);
	for (unsigned i = 0; i < QSIZE; i++)
		put_indirect(BUF + 0x10000, i, BUF + 4096 * (i + 1), 8,
			     i + 1 < QSIZE ? VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	offer(0);
	assert_int_equal(virtq_pop(&vq, &req, big, 2 * QSIZE), -EBADMSG);
	assert_true(vq.broken);
	if (!strstr(vq.broken_why, "more than 8 descriptors"))
		fail_msg("broken_why '%s'", vq.broken_why);
}

/* The same with one buffer fewer in the indirect table: QSIZE in all. */
static void test_chain_into_indirect_at_limit(void **state)
{
	struct virtq_req req;

	put_desc(0, BUF, 8, VRING_DESC_F_NEXT, 1);
	put_desc(1, BUF + 0x10000, 16 * (QSIZE - 1), VRING_DESC_F_INDIRECT, 0);
	for (unsigned i = 0; i < QSIZE - 1; i++)
		put_indirect(BUF + 0x10000, i, BUF + 4096 * (i + 1), 8,
			     i + 2 < QSIZE ? VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	offer(0);
	assert_int_equal(virtq_pop(&vq, &req, iov, QSIZE), 1);
	assert_int_equal(req.nout, QSIZE);
	assert_int_equal(req.out_len, 8 * QSIZE);
}

static void test_indirect_with_next(void **state)
{
	put_desc(0, BUF, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	offer(0);
	expect_broken("indirect descriptor with NEXT set");
}

static void test_indirect_not_negotiated(void **state)
{
	assert_int_equal(virtq_enable(&vq, false, false), 0);
	put_desc(0, BUF, 16, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken("without VIRTIO_RING_F_INDIRECT_DESC");
}

static void test_indirect_table_outside_ram(void **state)
{
	put_desc(0, LAYOUT_IOAPIC_START, 32, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	expect_broken("indirect table at 0xfec00000 (32 bytes) is not guest RAM");
}

static void test_too_many_buffers(void **state)
{
	struct virtq_req req;

	for (unsigned i = 0; i < 4; i++)
		put_desc(i, BUF, 8, i < 3 ? VRING_DESC_F_NEXT : 0, i + 1);
	offer(0);
	assert_int_equal(virtq_pop(&vq, &req, iov, 3), -EBADMSG);
	assert_non_null(strstr(vq.broken_why, "more than 3 buffers"));
}

static void test_zero_length_buffers(void **state)
{
	struct virtq_req req;

	/* Allowed, and no iovec for them. */
	put_desc(0, BUF, 0, VRING_DESC_F_NEXT, 1);
	put_desc(1, BUF, 4, VRING_DESC_F_WRITE, 0);
	offer(0);
	assert_int_equal(virtq_pop(&vq, &req, iov, QSIZE), 1);
	assert_int_equal(req.nout, 0);
	assert_int_equal(req.nin, 1);
}

static void test_enable_checks(void **state)
{
	vq.size = 6;
	assert_int_equal(virtq_enable(&vq, false, false), -EINVAL);
	assert_non_null(strstr(vq.broken_why, "power of two"));
	vq.size = 16;   /* more than the device offers */
	assert_int_equal(virtq_enable(&vq, false, false), -EINVAL);
	vq.size = QSIZE;
	vq.desc_gpa = DESC + 8;
	assert_int_equal(virtq_enable(&vq, false, false), -EINVAL);
	assert_non_null(strstr(vq.broken_why, "misaligned"));
	vq.desc_gpa = DESC;
	vq.used_gpa = RAM - 16;   /* runs past the end of RAM */
	assert_int_equal(virtq_enable(&vq, false, false), -EINVAL);
	assert_non_null(strstr(vq.broken_why, "not in guest RAM"));
	vq.used_gpa = LAYOUT_PCI_HOLE_START;
	assert_int_equal(virtq_enable(&vq, false, false), -EINVAL);
	vq.used_gpa = USED;
	assert_int_equal(virtq_enable(&vq, false, false), 0);
}

static void test_event_idx(void **state)
{
	struct virtq_req req;

	assert_int_equal(virtq_enable(&vq, true, true), 0);
	for (unsigned i = 0; i < 3; i++) {
		put_desc(i, BUF, 4, VRING_DESC_F_WRITE, 0);
		offer((uint16_t)i);
	}
	/* The driver wants an interrupt once used->idx passes 2. */
	*(uint16_t *)gp(AVAIL + 4 + 2 * QSIZE) = 2;
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(virtq_pop(&vq, &req, iov, QSIZE), 1);
		virtq_push(&vq, req.head, 4);
		/* The first push always signals; then only when crossing. */
		assert_int_equal(virtq_should_notify(&vq), i == 0 || i == 2);
	}
	/* Idle: kick us for anything after entry 3. */
	assert_false(virtq_enable_kicks(&vq));
	assert_int_equal(*(uint16_t *)gp(USED + 4 + 8 * QSIZE), 3);
	put_desc(3, BUF, 4, VRING_DESC_F_WRITE, 0);
	offer(3);
	assert_true(virtq_has_work(&vq));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_chain),
		T(test_indirect),
		T(test_loop),
		T(test_self_loop_in_indirect),
		T(test_next_out_of_table),
		T(test_head_out_of_table),
		T(test_avail_index_jump),
		T(test_buffer_outside_ram),
		T(test_buffer_in_pci_hole),
		T(test_buffer_crossing_ram_end),
		T(test_address_wraps),
		T(test_length_overflow),
		T(test_readable_after_writable),
		T(test_nested_indirect),
		T(test_indirect_bad_length),
		T(test_indirect_too_long),
		T(test_chain_into_indirect_too_long),
		T(test_chain_into_indirect_at_limit),
		T(test_indirect_with_next),
		T(test_indirect_not_negotiated),
		T(test_indirect_table_outside_ram),
		T(test_too_many_buffers),
		T(test_zero_length_buffers),
		T(test_enable_checks),
		T(test_event_idx),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
