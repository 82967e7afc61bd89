// SPDX-License-Identifier: GPL-2.0-only
/*
 * The split virtqueue (core/virtio/queue.c) on rings a hostile guest lays
 * out in its RAM: the input places the descriptor table, available and
 * used rings anywhere (misaligned, across the end of RAM, in the PCI hole,
 * at 4 GiB, wrapping the 64-bit space), writes descriptors with any
 * address, length, flags and next (loops, indirect tables nested or in the
 * hole, 4 GiB lengths), moves the available index as it likes, and pops,
 * pushes and asks for notifications as a device would.
 *
 * Checks: every buffer virtq_pop() returns lies inside one RAM region
 * (never the hole, never past the mapping), its lengths add up to what it
 * reports and stay below 4 GiB, a chain has at most as many buffers as its
 * table; a malformed ring returns -EBADMSG with a reason and stays broken;
 * a pop loop ends; push writes the used entry and index it should. And a
 * chain the harness builds well-formed (direct or indirect, zero-length
 * buffers anywhere) pops as exactly its buffers.
 */
#include <errno.h>
#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "fuzz.h"
#include "core/virtio/internal.h"
#include "core/vm/layout.h"
#include "core/vm/memory.h"

/* RAM below the hole up to 2 GiB and 8 MiB above 4 GiB: both regions and
 * the hole between them. Untouched pages cost nothing. */
#define RAM      (2 * SZ_1G + 8 * SZ_1M)
#define IOV_CAP  (VIRTQ_MAX_SIZE + 8)

static struct guest_memory mem;
static struct virtqueue vq;
static struct iovec iov[IOV_CAP];

/* Scratch places for indirect tables, in the low region, across the end
 * of it, and at the end of the high one. */
static const uint64_t scratch[] = {
	0x200000, 0x80000000ULL - 0x100, 0x100000000ULL, 0x100000000ULL + 8 * SZ_1M - 0x200,
};

/* A guest-physical address: mostly near places worth trying. */
static uint64_t take_gpa(struct fuzz_input *in)
{
	uint8_t sel = (uint8_t)fuzz_take(in, 1);
	uint64_t off = fuzz_take(in, 2);

	switch (sel % 12) {
	case 0: return 0x100000 + off * 16;
	case 1: return 0x80000000ULL - 0x10000 + off;        /* the end of low RAM */
	case 2: return 0x80000000ULL + off;                  /* the PCI hole */
	case 3: return 0x100000000ULL + off * 8;             /* high RAM */
	case 4: return 0x100000000ULL + 8 * SZ_1M - 0x10000 + off;   /* its end */
	case 5: return 0x100000000ULL - 0x10000 + off;       /* just below 4 GiB */
	case 6: return off;
	case 7: return ~0ULL - off;                          /* wraps */
	case 8: case 9: return scratch[sel / 12 % 4] + (off & 0xff) * 16;
	case 10: return 0x100000 + off;
	default: return fuzz_take(in, 8) ^ off;
	}
}

static uint32_t take_len(struct fuzz_input *in)
{
	uint8_t sel = (uint8_t)fuzz_take(in, 1);

	switch (sel % 8) {
	case 0: return 0;
	case 1: return 0xffffffff;
	case 2: return 0x80000000u + (uint32_t)fuzz_take(in, 1);
	case 3: return (uint32_t)fuzz_take(in, 4);
	default: return (uint32_t)fuzz_take(in, 2);
	}
}

static void *ram(uint64_t gpa, uint64_t len)
{
	return memory_guest_ptr(&mem, gpa, len);
}

static uint16_t ld16(const volatile uint8_t *p)
{
	uint16_t v;

	memcpy(&v, (const void *)p, 2);
	return v;
}

static uint32_t ld32(const volatile uint8_t *p)
{
	uint32_t v;

	memcpy(&v, (const void *)p, 4);
	return v;
}

/* Does host range [P, P+LEN) lie in one RAM region? */
static bool in_one_region(const void *p, size_t len)
{
	const struct mem_layout *l = &mem.layout;
	uintptr_t a = (uintptr_t)p, base = (uintptr_t)mem.host;

	if (a < base || len > mem.host_size || a - base > mem.host_size - len)
		return false;
	for (unsigned i = 0; i < l->nregions; i++) {
		uint64_t s = l->regions[i].host_offset, e = s + l->regions[i].size;

		if (a - base >= s && a - base + len <= e)
			return true;
	}
	return false;
}

static void check_broken(void)
{
	struct virtq_req req;

	if (!vq.broken || !vq.broken_why[0])
		abort();                /* a refusal says why */
	if (virtq_pop(&vq, &req, iov, IOV_CAP) != -EBADMSG)
		abort();                /* and stays broken */
	if (virtq_has_work(&vq) || virtq_enable_kicks(&vq))
		abort();
}

/* The used entry and index after pushing HEAD with LEN. */
static void push(uint16_t head, uint32_t len)
{
	uint16_t before = vq.used_idx;
	const volatile uint8_t *e = vq.used + 4 + 8 * (size_t)(before % vq.size);

	virtq_push(&vq, head, len);
	if (vq.used_idx != (uint16_t)(before + 1) || ld16(vq.used + 2) != vq.used_idx)
		abort();
	if (ld32(e) != head || ld32(e + 4) != len)
		abort();
}

/* One pop with every invariant checked; returns what virtq_pop did. */
static int pop(unsigned cap, struct virtq_req *req)
{
	bool was_enabled = vq.enabled, was_broken = vq.broken;
	uint16_t last = vq.last_avail, avail_idx = 0, pending = 0, head = 0;
	uint64_t out = 0, in = 0;
	int r;

	if (was_enabled) {
		avail_idx = ld16(vq.avail + 2);
		pending = (uint16_t)(avail_idx - last);
		head = ld16(vq.avail + 4 + 2 * (size_t)(last % vq.size));
	}
	r = virtq_pop(&vq, req, iov, cap);
	if (!was_enabled) {
		if (r != 0)
			abort();        /* a disabled queue has nothing */
		return 0;
	}
	if (r < 0) {
		if (r != -EBADMSG || vq.last_avail != last)
			abort();
		check_broken();
		return r;
	}
	if (was_broken)
		abort();                /* a broken queue gave something */
	if (r == 0) {
		if (pending || vq.broken || vq.last_avail != last)
			abort();
		return 0;
	}
	if (r != 1 || !pending || pending > vq.size || head >= vq.size || vq.broken)
		abort();
	if (vq.last_avail != (uint16_t)(last + 1) || req->head != head || req->iov != iov)
		abort();
	if ((uint64_t)req->nout + req->nin > cap || req->nout + req->nin > vq.size)
		abort();
	for (unsigned i = 0; i < req->nout + req->nin; i++) {
		if (!iov[i].iov_len || !in_one_region(iov[i].iov_base, iov[i].iov_len))
			abort();        /* a buffer outside guest RAM */
		if (i < req->nout)
			out += iov[i].iov_len;
		else
			in += iov[i].iov_len;
	}
	if (out != req->out_len || in != req->in_len || out > UINT32_MAX || in > UINT32_MAX)
		abort();
	return 1;
}

static bool disjoint(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a + alen <= b || b + blen <= a;
}

/* Ring geometry of the enabled queue. */
static uint64_t desc_len(void) { return 16ULL * vq.size; }
static uint64_t avail_len(void) { return 6ULL + 2ULL * vq.size; }
static uint64_t used_len(void) { return 6ULL + 8ULL * vq.size; }

static bool rings_disjoint(uint64_t a, uint64_t len)
{
	return disjoint(a, len, vq.desc_gpa, desc_len()) && disjoint(a, len, vq.avail_gpa, avail_len()) &&
	       disjoint(a, len, vq.used_gpa, used_len());
}

/* An address in RAM for LEN bytes (region by SEL). */
static uint64_t ram_gpa(uint8_t sel, uint64_t off, uint32_t len)
{
	const struct mem_region *r = &mem.layout.regions[sel % mem.layout.nregions];

	return r->gpa + off % (r->size - len + 1);
}

/* A well-formed chain of K descriptors (NOUT readable first) must pop as
 * exactly its buffers. */
static void valid_chain(struct fuzz_input *in)
{
	uint64_t addr[32], tgpa = 0;
	uint32_t len[32];
	uint8_t shape = (uint8_t)fuzz_take(in, 1);
	unsigned k, nout, start, step, cap, nbuf = 0, kmax;
	bool indirect = vq.indirect && (shape & 1);
	uint16_t avail_idx, slot;
	struct virtq_req req;
	int r;

	if (!vq.enabled || vq.broken)
		return;
	avail_idx = ld16(vq.avail + 2);
	if (avail_idx != vq.last_avail || !disjoint(vq.desc_gpa, desc_len(), vq.avail_gpa, avail_len()) ||
	    !disjoint(vq.desc_gpa, desc_len(), vq.used_gpa, used_len()) ||
	    !disjoint(vq.avail_gpa, avail_len(), vq.used_gpa, used_len()))
		return;
	kmax = vq.size < 32 ? vq.size : 32;
	k = 1 + (unsigned)fuzz_take(in, 1) % kmax;
	nout = (unsigned)fuzz_take(in, 1) % (k + 1);
	start = (unsigned)fuzz_take(in, 2) % vq.size;
	step = (unsigned)fuzz_take(in, 2) | 1;   /* odd: a permutation of a power-of-two table */
	cap = 1 + (unsigned)fuzz_take(in, 1) % 40;
	for (unsigned j = 0; j < k; j++) {
		uint8_t sel = (uint8_t)fuzz_take(in, 1);

		len[j] = sel & 0x80 ? 0 : 1 + (uint32_t)fuzz_take(in, 3) % (1 << 20);
		/* A zero-length buffer may name any address: it is skipped. */
		addr[j] = len[j] ? ram_gpa(sel, fuzz_take(in, 8), len[j]) : take_gpa(in);
		nbuf += len[j] != 0;
	}
	if (indirect) {
		tgpa = scratch[(shape >> 1) % 4];
		if (!ram(tgpa, 16ULL * k) || !rings_disjoint(tgpa, 16ULL * k))
			return;
		for (unsigned j = 0; j < k; j++)
			fuzz_put_desc(&mem, tgpa, j, addr[j], len[j],
				 (j + 1 < k ? VRING_DESC_F_NEXT : 0) | (j >= nout ? VRING_DESC_F_WRITE : 0),
				 (uint16_t)(j + 1));
		fuzz_put_desc(&mem, vq.desc_gpa, start, tgpa, 16 * k, VRING_DESC_F_INDIRECT, 0);
	} else {
		for (unsigned j = 0; j < k; j++)
			fuzz_put_desc(&mem, vq.desc_gpa, (start + j * step) % vq.size, addr[j], len[j],
				 (j + 1 < k ? VRING_DESC_F_NEXT : 0) | (j >= nout ? VRING_DESC_F_WRITE : 0),
				 (uint16_t)((start + (j + 1) * step) % vq.size));
	}
	slot = (uint16_t)(avail_idx % vq.size);
	memcpy((void *)(vq.avail + 4 + 2 * (size_t)slot), &(uint16_t){ (uint16_t)start }, 2);
	memcpy((void *)(vq.avail + 2), &(uint16_t){ (uint16_t)(avail_idx + 1) }, 2);

	r = pop(cap, &req);
	if (nbuf > cap) {
		if (r != -EBADMSG || !strstr(vq.broken_why, "buffers in one request"))
			abort();
		return;
	}
	if (r != 1 || req.head != start)
		abort();
	for (unsigned j = 0, i = 0; j < k; j++) {
		if (!len[j])
			continue;
		if (iov[i].iov_base != ram(addr[j], len[j]) || iov[i].iov_len != len[j])
			abort();
		if ((i < req.nout) != (j < nout))
			abort();
		i++;
	}
	if (req.nout + req.nin != nbuf)
		abort();
	push(req.head, (uint32_t)fuzz_take(in, 4));
}

static void setup_queue(struct fuzz_input *in)
{
	uint8_t sel = (uint8_t)fuzz_take(in, 1);
	uint16_t size = sel & 0x80 ? (uint16_t)fuzz_take(in, 2) : (uint16_t)(1u << ((sel & 15) % 11));
	int r;

	virtq_reset(&vq);
	vq.size = size;
	vq.desc_gpa = take_gpa(in) & ~(sel & 0x40 ? 0ULL : 15ULL);
	vq.avail_gpa = take_gpa(in) & ~(sel & 0x40 ? 0ULL : 1ULL);
	vq.used_gpa = take_gpa(in) & ~(sel & 0x40 ? 0ULL : 3ULL);
	r = virtq_enable(&vq, sel & 0x20, sel & 0x10);
	if (r < 0) {
		if (r != -EINVAL || !vq.broken_why[0] || vq.enabled || vq.desc || vq.avail || vq.used)
			abort();
		return;
	}
	/* Enabled: every ring lies in guest RAM, whole. */
	if (r != 0 || !vq.enabled || vq.broken || !vq.size || vq.size > vq.max_size ||
	    (vq.size & (vq.size - 1)) ||
	    !in_one_region((const void *)vq.desc, desc_len()) ||
	    !in_one_region((const void *)vq.avail, avail_len()) ||
	    !in_one_region((const void *)vq.used, used_len()))
		abort();
	if (vq.desc != ram(vq.desc_gpa, desc_len()) || vq.avail != ram(vq.avail_gpa, avail_len()) ||
	    vq.used != ram(vq.used_gpa, used_len()))
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (memory_map(&mem, RAM, MEMORY_BACKING_ANONYMOUS, LAYOUT_DIRECT_BOOT) < 0)
		abort();
	/* Small pages: clearing between inputs drops only what was touched. */
	madvise(mem.host, mem.host_size, MADV_NOHUGEPAGE);
	virtq_init(&vq, NULL, &mem, 0, VIRTQ_MAX_SIZE);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct virtq_req req;
	unsigned ops = 0;

	if (memory_clear(&mem) < 0)
		abort();
	virtq_init(&vq, NULL, &mem, 0, VIRTQ_MAX_SIZE);
	setup_queue(&in);
	while (in.n && ops++ < 512) {
		uint8_t op = (uint8_t)fuzz_take(&in, 1);

		switch (op % 12) {
		case 0:
			setup_queue(&in);
			break;
		case 1: {       /* a descriptor in the table, or in a scratch table */
			uint8_t where = (uint8_t)fuzz_take(&in, 1);
			uint64_t table = where & 4 ? scratch[where % 4] : vq.desc_gpa;
			unsigned i = (unsigned)fuzz_take(&in, 2);
			uint64_t addr = take_gpa(&in);
			uint32_t len = take_len(&in);
			uint16_t flags = (uint16_t)fuzz_take(&in, 1);

			if (flags & 0x80)
				flags = (uint16_t)(flags << 8 | fuzz_take(&in, 1));
			fuzz_put_desc(&mem, table, where & 8 ? i : i % (vq.size ? vq.size : 1), addr, len,
				 flags & 0x87, (uint16_t)fuzz_take(&in, 2));
			break;
		}
		case 2: {       /* offer a head, as a driver does */
			uint16_t idx, head = (uint16_t)fuzz_take(&in, 2);

			if (!vq.enabled)
				break;
			idx = ld16(vq.avail + 2);
			fuzz_guest_write(&mem, vq.avail_gpa + 4 + 2 * (uint64_t)(idx % vq.size), &head, 2);
			idx++;
			fuzz_guest_write(&mem, vq.avail_gpa + 2, &idx, 2);
			break;
		}
		case 3: {       /* the available index jumps */
			uint16_t idx = (uint16_t)fuzz_take(&in, 2);

			if (vq.enabled && (idx & 0x8000))
				idx = (uint16_t)(ld16(vq.avail + 2) + (idx & 0x7ff));
			fuzz_guest_write(&mem, vq.avail_gpa + 2, &idx, 2);
			break;
		}
		case 4: {       /* avail flags, used_event */
			uint16_t flags = (uint16_t)fuzz_take(&in, 2), event = (uint16_t)fuzz_take(&in, 2);

			fuzz_guest_write(&mem, vq.avail_gpa, &flags, 2);
			fuzz_guest_write(&mem, vq.avail_gpa + 4 + 2 * (uint64_t)vq.size, &event, 2);
			break;
		}
		case 5: {       /* one pop, maybe pushed back */
			unsigned cap = (unsigned)fuzz_take(&in, 2) % (IOV_CAP + 1);
			uint32_t len = (uint32_t)fuzz_take(&in, 4);

			if (pop(cap, &req) == 1 && (len & 1))
				push(req.head, len >> 1);
			break;
		}
		case 6: {       /* what a device's loop does: pop all, push, notify */
			unsigned n = 0, cap = 1 + (unsigned)fuzz_take(&in, 1) * 4;
			bool pushed = false;
			int r;

			do {
				while ((r = pop(cap, &req)) > 0) {
					if (++n > 0x10000)
						abort();        /* the loop must end */
					push(req.head, (uint32_t)req.in_len);
					pushed = true;
				}
			} while (r == 0 && virtq_enable_kicks(&vq));
			if (pushed)
				(void)virtq_should_notify(&vq);
			break;
		}
		case 7:
			if (vq.enabled)
				(void)virtq_should_notify(&vq);
			break;
		case 8: {
			bool work = virtq_has_work(&vq), more = virtq_enable_kicks(&vq);

			if ((work || more) && (!vq.enabled || vq.broken))
				abort();
			if (vq.enabled && vq.event_idx && !vq.broken &&
			    ld16(vq.used + 4 + 8 * (size_t)vq.size) != vq.last_avail)
				abort();                /* avail_event names what we took */
			break;
		}
		case 9: {       /* the guest writes anything anywhere */
			uint64_t gpa = take_gpa(&in);
			uint8_t buf[64];
			size_t n = (size_t)fuzz_take(&in, 1) % sizeof(buf);

			for (size_t i = 0; i < n; i++)
				buf[i] = (uint8_t)fuzz_take(&in, 1);
			fuzz_guest_write(&mem, gpa, buf, n);
			break;
		}
		case 10:
			valid_chain(&in);
			break;
		default:
			virtq_reset(&vq);
			if (vq.enabled || vq.broken || vq.desc || virtq_has_work(&vq))
				abort();
			break;
		}
	}
	return 0;
}
