// SPDX-License-Identifier: GPL-2.0-only
/*
 * Split virtqueues (virtio 1.x, 2.7). Everything here reads memory the
 * guest can rewrite at any moment, so every field is read once into a
 * local and checked before use: ring indices against the queue size,
 * chains against loops and the queue size, buffers against guest RAM
 * (memory_guest_ptr(): never the PCI hole, never past a region's end),
 * lengths in 64 bits against 32-bit overflow. A malformed ring breaks the
 * queue (the transport then sets DEVICE_NEEDS_RESET); nothing the guest
 * writes makes the device read or write outside guest RAM.
 */
#include <errno.h>
#include <linux/virtio_ring.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/virtio/internal.h"
#include "core/vm/memory.h"

/* The split ring's layout (2.7.5-2.7.8). */
#define AVAIL_FLAGS 0
#define AVAIL_IDX   2
#define AVAIL_RING  4
#define USED_FLAGS  0
#define USED_IDX    2
#define USED_RING   4

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static inline uint16_t ld16(volatile uint8_t *p)
{
	return __atomic_load_n((volatile uint16_t *)p, __ATOMIC_RELAXED);
}

static inline void st16(volatile uint8_t *p, uint16_t v)
{
	__atomic_store_n((volatile uint16_t *)p, v, __ATOMIC_RELAXED);
}

static inline void st32(volatile uint8_t *p, uint32_t v)
{
	__atomic_store_n((volatile uint32_t *)p, v, __ATOMIC_RELAXED);
}

void virtq_init(struct virtqueue *vq, struct virtio_dev *vdev, const struct guest_memory *mem,
		unsigned index, uint16_t max_size)
{
	memset(vq, 0, sizeof(*vq));
	vq->vdev = vdev;
	vq->mem = mem;
	vq->index = index;
	vq->max_size = max_size;
	vq->kick_fd = -1;
	virtq_reset(vq);
}

void virtq_reset(struct virtqueue *vq)
{
	vq->size = vq->max_size;
	vq->msix_vector = 0xffff;   /* VIRTIO_MSI_NO_VECTOR */
	vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
	vq->enabled = false;
	vq->desc = vq->avail = vq->used = NULL;
	vq->last_avail = vq->used_idx = vq->signalled_used = 0;
	vq->signalled_valid = false;
	vq->broken = false;
	vq->broken_why[0] = '\0';
}

static int broken(struct virtqueue *vq, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int broken(struct virtqueue *vq, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vq->broken_why, sizeof(vq->broken_why), fmt, ap);
	va_end(ap);
	vq->broken = true;
	return -EBADMSG;
}

int virtq_enable(struct virtqueue *vq, bool event_idx, bool indirect)
{
	uint64_t n = vq->size;
	uint64_t dlen = 16 * n, alen = AVAIL_RING + 2 * n + 2, ulen = USED_RING + 8 * n + 2;

	if (!n || n > vq->max_size || (n & (n - 1))) {
		broken(vq, "queue size %u (it must be a power of two up to %u)", vq->size, vq->max_size);
		return -EINVAL;
	}
	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3)) {
		broken(vq, "misaligned rings (descriptors at 0x%llx, available at 0x%llx, used at 0x%llx)",
		       (unsigned long long)vq->desc_gpa, (unsigned long long)vq->avail_gpa,
		       (unsigned long long)vq->used_gpa);
		return -EINVAL;
	}
	vq->desc = memory_guest_ptr(vq->mem, vq->desc_gpa, dlen);
	vq->avail = memory_guest_ptr(vq->mem, vq->avail_gpa, alen);
	vq->used = memory_guest_ptr(vq->mem, vq->used_gpa, ulen);
	if (!vq->desc || !vq->avail || !vq->used) {
		broken(vq, "a ring is not in guest RAM (descriptors at 0x%llx, available at 0x%llx, "
		       "used at 0x%llx, %u entries)", (unsigned long long)vq->desc_gpa,
		       (unsigned long long)vq->avail_gpa, (unsigned long long)vq->used_gpa, vq->size);
		vq->desc = vq->avail = vq->used = NULL;
		return -EINVAL;
	}
	vq->event_idx = event_idx;
	vq->indirect = indirect;
	/* The driver starts both rings at index 0 (2.7.13.1). */
	vq->last_avail = vq->used_idx = 0;
	vq->signalled_valid = false;
	vq->broken = false;
	vq->enabled = true;
	return 0;
}

bool virtq_has_work(struct virtqueue *vq)
{
	if (!vq->enabled || vq->broken)
		return false;
	return __atomic_load_n((volatile uint16_t *)(vq->avail + AVAIL_IDX), __ATOMIC_ACQUIRE) !=
	       vq->last_avail;
}

static void read_desc(const volatile uint8_t *table, unsigned i, struct desc *d)
{
	/* One copy: the guest may rewrite it while we look at it. */
	memcpy(d, (const uint8_t *)table + 16 * (size_t)i, sizeof(*d));
}

int virtq_pop(struct virtqueue *vq, struct virtq_req *req, struct iovec *iov, unsigned cap)
{
	const volatile uint8_t *table;
	uint16_t avail_idx, pending, head;
	unsigned tlen, idx, visited = 0, total = 0, k = 0;
	bool in_indirect = false;
	uint64_t out = 0, in = 0;
	struct desc d;

	if (!vq->enabled)
		return 0;
	if (vq->broken)
		return -EBADMSG;
	avail_idx = __atomic_load_n((volatile uint16_t *)(vq->avail + AVAIL_IDX), __ATOMIC_ACQUIRE);
	pending = (uint16_t)(avail_idx - vq->last_avail);
	if (!pending)
		return 0;
	if (pending > vq->size)
		return broken(vq, "the driver made %u buffers available in a queue of %u", pending,
			      vq->size);
	head = ld16(vq->avail + AVAIL_RING + 2 * (vq->last_avail % vq->size));
	if (head >= vq->size)
		return broken(vq, "available entry %u names descriptor %u of %u", vq->last_avail,
			      head, vq->size);

	table = vq->desc;
	tlen = vq->size;
	idx = head;
	req->nout = req->nin = 0;
	for (;;) {
		/* A chain is at most as long as its table (2.7.5.3.1). */
		if (++visited > tlen)
			return broken(vq, "descriptor chain from %u is longer than its table of %u "
				      "(a loop?)", head, tlen);
		read_desc(table, idx, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!vq->indirect)
				return broken(vq, "indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC");
			if (in_indirect)
				return broken(vq, "indirect descriptor inside an indirect table");
			if (d.flags & VRING_DESC_F_NEXT)
				return broken(vq, "indirect descriptor with NEXT set");
			if (!d.len || d.len % 16 || d.len / 16 > vq->size)
				return broken(vq, "indirect table of %u bytes (a multiple of 16, at most "
					      "%u entries)", d.len, vq->size);
			table = memory_guest_ptr(vq->mem, d.addr, d.len);
			if (!table)
				return broken(vq, "indirect table at 0x%llx (%u bytes) is not guest RAM",
					      (unsigned long long)d.addr, d.len);
			tlen = d.len / 16;
			idx = 0;
			visited = 0;
			in_indirect = true;
			continue;
		}
		/* And the chain, through both tables, at most as long as the
		 * queue (2.7.5.3.1): what callers size their iovecs for. */
		if (++total > vq->size)
			return broken(vq, "descriptor chain from %u has more than %u descriptors",
				      head, vq->size);
		if (d.flags & VRING_DESC_F_WRITE) {
			in += d.len;
		} else {
			if (req->nin)
				return broken(vq, "a device-readable buffer after a writable one");
			out += d.len;
		}
		/* used.len and our callers count in 32 bits. */
		if (out > UINT32_MAX || in > UINT32_MAX)
			return broken(vq, "buffers of more than 4 GiB in one request");
		if (d.len) {
			void *p = memory_guest_ptr(vq->mem, d.addr, d.len);

			if (!p)
				return broken(vq, "buffer at 0x%llx (%u bytes) is not guest RAM",
					      (unsigned long long)d.addr, d.len);
			if (k == cap)
				return broken(vq, "more than %u buffers in one request", cap);
			iov[k++] = (struct iovec){ .iov_base = p, .iov_len = d.len };
			if (d.flags & VRING_DESC_F_WRITE)
				req->nin++;
			else
				req->nout++;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		idx = d.next;
		if (idx >= tlen)
			return broken(vq, "descriptor %u points past its table of %u", idx, tlen);
	}
	vq->last_avail++;
	req->head = head;
	req->iov = iov;
	req->out_len = out;
	req->in_len = in;
	return 1;
}

void virtq_push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	volatile uint8_t *e = vq->used + USED_RING + 8 * (size_t)(vq->used_idx % vq->size);

	st32(e, head);
	st32(e + 4, len);
	/* The entry before the index that publishes it (2.7.8.2). */
	vq->used_idx++;
	__atomic_store_n((volatile uint16_t *)(vq->used + USED_IDX), vq->used_idx, __ATOMIC_RELEASE);
}

bool virtq_should_notify(struct virtqueue *vq)
{
	uint16_t old = vq->signalled_used, now = vq->used_idx;
	bool valid = vq->signalled_valid;

	/* The new used index must be visible before we read the driver's
	 * wish, or both sides could wait for the other. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(ld16(vq->avail + AVAIL_FLAGS) & VRING_AVAIL_F_NO_INTERRUPT);
	vq->signalled_used = now;
	vq->signalled_valid = true;
	if (!valid)
		return true;
	return vring_need_event(ld16(vq->avail + AVAIL_RING + 2 * (size_t)vq->size), now, old);
}

bool virtq_enable_kicks(struct virtqueue *vq)
{
	if (!vq->enabled || vq->broken)
		return false;
	if (vq->event_idx)
		st16(vq->used + USED_RING + 8 * (size_t)vq->size, vq->last_avail);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return virtq_has_work(vq);
}

unsigned virtq_iov_slice(const struct iovec *src, unsigned n, size_t skip, size_t len,
			 struct iovec *dst)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n && len; i++) {
		struct iovec v = src[i];

		if (skip >= v.iov_len) {
			skip -= v.iov_len;
			continue;
		}
		v.iov_base = (uint8_t *)v.iov_base + skip;
		v.iov_len -= skip;
		skip = 0;
		if (v.iov_len > len)
			v.iov_len = len;
		len -= v.iov_len;
		dst[k++] = v;
	}
	return k;
}

/* Copy between BUF and the N buffers IOV from byte OFF on. */
static size_t copy_iov(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len,
		       bool to_iov)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t c;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		c = iov[i].iov_len - off < len - done ? iov[i].iov_len - off : len - done;
		if (to_iov)
			memcpy((uint8_t *)iov[i].iov_base + off, (const uint8_t *)buf + done, c);
		else
			memcpy((uint8_t *)buf + done, (const uint8_t *)iov[i].iov_base + off, c);
		done += c;
		off = 0;
	}
	return done;
}

size_t virtq_req_read(const struct virtq_req *req, size_t off, void *buf, size_t len)
{
	return copy_iov(req->iov, req->nout, off, buf, len, false);
}

size_t virtq_req_write(const struct virtq_req *req, size_t off, const void *buf, size_t len)
{
	return copy_iov(req->iov + req->nout, req->nin, off, (void *)buf, len, true);
}
