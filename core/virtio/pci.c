// SPDX-License-Identifier: GPL-2.0-only
/*
 * The virtio 1.x PCI transport, modern interface only (virtio 1.2, 4.1):
 * vendor 1af4, device 1040 + type, revision 1. Its capabilities point
 * into BAR0 (64-bit, 32 KiB):
 *
 *   0x0000  common configuration (4.1.4.3)
 *   0x1000  ISR status (4.1.4.5): read clears, INTx level follows it
 *   0x2000  device configuration (the device model's)
 *   0x3000  notifications: queue Q's doorbell at 0x3000 + 4 * Q, a KVM
 *           ioeventfd the queue's thread waits on
 *   0x4000  MSI-X table, 0x5000 its PBA (core/vm/msi.h, as for vfio)
 *
 * The same doorbells are also I/O ports, in BAR2 (queue Q's at BAR2 + 2 * Q),
 * and that notification capability comes first, so the driver uses it
 * (Linux takes the first it finds): a port write exits with its port, size
 * and value in hand, while an MMIO write on AMD (SVM) has KVM fetch and
 * decode the guest's instruction first, on every kick. On Intel both are
 * cheap. The MMIO doorbells stay, for a driver that cannot use I/O space.
 * And a VIRTIO_PCI_CAP_PCI_CFG window (4.1.4.9). Every access is checked
 * against its structure's bounds; the guest's queue addresses are checked
 * when it enables a queue (queue.c); a driver that breaks the protocol
 * gets DEVICE_NEEDS_RESET and one rate-limited line, never a crash.
 */
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/kvm/kvm.h"
#include "core/util/bytes.h"
#include "core/util/log.h"
#include "core/virtio/internal.h"
#include "core/vm/vm.h"

#define VIRTIO_PCI_SUBSYSTEM    0x1100
#define VIRTIO_PCI_REVISION     1

/* Config space: where each capability sits. */
#define CAP_MSIX    0x40
#define CAP_COMMON  0x4c
#define CAP_NOTIFY  0x5c
#define CAP_ISR     0x70
#define CAP_DEVICE  0x80
#define CAP_PCI_CFG 0x90
#define PCI_CFG_DATA (CAP_PCI_CFG + sizeof(struct virtio_pci_cap))
#define CAP_NOTIFY_PIO 0xa4

/* The common configuration's size (up to queue_used_hi). */
#define COMMON_SIZE 0x38

/* ISR bit 0: a queue interrupt (4.1.4.5); bit 1 is VIRTIO_PCI_ISR_CONFIG. */
#define ISR_QUEUE 0x1

/* Features the transport offers for every device. */
#define TRANSPORT_FEATURES                                                              \
	((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |          \
	 (1ULL << VIRTIO_RING_F_EVENT_IDX))

static uint64_t offered(const struct virtio_dev *vdev)
{
	return vdev->ops->features | TRANSPORT_FEATURES;
}

bool virtio_has_feature(const struct virtio_dev *vdev, unsigned bit)
{
	return bit < 64 && (__atomic_load_n(&vdev->driver_features, __ATOMIC_RELAXED) >> bit) & 1;
}

void virtio_warn(struct virtio_dev *vdev, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ratelimit_warning(&vdev->rl, "%s: %s", vdev->name, msg);
}

/* ---- Interrupts ---------------------------------------------------------- */

static bool msix_on(const struct virtio_dev *vdev)
{
	return __atomic_load_n(&vdev->msix.enabled, __ATOMIC_ACQUIRE);
}

/* INTx: the ISR's bits decide the level (4.1.4.5). Caller holds irq_lock. */
static void intx_update(struct virtio_dev *vdev)
{
	bool level = vdev->isr != 0 && !msix_on(vdev);

	if (level != vdev->intx_level) {
		vdev->intx_level = level;
		(void)vm_set_irq_line(vdev->vm, vdev->pci.intx_gsi, level);
	}
}

static void raise(struct virtio_dev *vdev, uint16_t vector, uint8_t isr_bit)
{
	if (msix_on(vdev)) {
		/* A masked vector's interrupt waits in its eventfd (the PBA). */
		if (vector < vdev->nvectors)
			msi_vector_fire(&vdev->vectors[vector]);
		return;
	}
	pthread_mutex_lock(&vdev->irq_lock);
	vdev->isr |= isr_bit;
	intx_update(vdev);
	pthread_mutex_unlock(&vdev->irq_lock);
}

bool virtio_msix_enabled(const struct virtio_dev *vdev)
{
	return msix_on(vdev);
}

int virtio_queue_call_fd(const struct virtqueue *vq)
{
	uint16_t v = __atomic_load_n(&vq->msix_vector, __ATOMIC_RELAXED);

	return v < vq->vdev->nvectors ? vq->vdev->vectors[v].efd : -1;
}

void virtio_notify_queue(struct virtqueue *vq)
{
	raise(vq->vdev, __atomic_load_n(&vq->msix_vector, __ATOMIC_RELAXED), ISR_QUEUE);
}

void virtio_notify_config(struct virtio_dev *vdev)
{
	raise(vdev, __atomic_load_n(&vdev->config_msix_vector, __ATOMIC_RELAXED),
	      VIRTIO_PCI_ISR_CONFIG);
}

void virtio_set_broken(struct virtio_dev *vdev, struct virtqueue *vq, const char *why)
{
	if (__atomic_exchange_n(&vdev->needs_reset, true, __ATOMIC_ACQ_REL))
		return;   /* said once until the driver resets the device */
	if (vq)
		virtio_warn(vdev, "queue %u: %s; the device needs a reset", vq->index, why);
	else
		virtio_warn(vdev, "%s; the device needs a reset", why);
	virtio_notify_config(vdev);
}

/* MSI-X vector I after a change of the table or the control word.
 * Caller holds vdev->lock. */
static void vector_update(struct virtio_dev *vdev, unsigned i)
{
	struct msi_vector *v = &vdev->vectors[i];
	int r;

	msix_vector_message(&vdev->msix, i, &v->addr, &v->data);
	r = msi_vector_update(&vdev->vm->kvm, v, msix_vector_live(&vdev->msix, i));
	if (r < 0 && r != -ENODEV)
		virtio_warn(vdev, "MSI-X vector %u: cannot %s its interrupt: %s", i,
			    msix_vector_live(&vdev->msix, i) ? "route" : "mask", strerror(-r));
}

static void vectors_update(struct virtio_dev *vdev)
{
	for (unsigned i = 0; i < vdev->nvectors; i++)
		vector_update(vdev, i);
}

static void vectors_release(struct virtio_dev *vdev)
{
	for (unsigned i = 0; i < vdev->nvectors; i++)
		msi_vector_release(&vdev->vm->kvm, &vdev->vectors[i]);
}

/* ---- Doorbells ----------------------------------------------------------- */

static uint64_t doorbell(const struct virtio_dev *vdev, bool pio, unsigned q)
{
	if (pio)
		return vdev->pio_addr + (uint64_t)q * VIRTIO_PIO_MULT;
	return vdev->bar_addr + VIRTIO_BAR_NOTIFY + (uint64_t)q * VIRTIO_NOTIFY_MULT;
}

/* One set of doorbells (BAR0's, or BAR2's ports) as ioeventfds while its
 * BAR is decoded and the VM exists; the BAR's handler covers the rest
 * (other access sizes). */
static void doorbells_set(struct virtio_dev *vdev, bool pio, bool on)
{
	struct kvm *k = &vdev->vm->kvm;
	bool *now = pio ? &vdev->pio_ioeventfds : &vdev->ioeventfds;
	/* The driver writes a 16-bit queue index (4.1.4.4.1); only MMIO has
	 * a fast path for any length. */
	unsigned len = pio ? 2 : kvm_doorbell_len(k, 2);

	if (on == *now)
		return;
	if (on && (!(pio ? vdev->pio_mapped : vdev->bar_mapped) || !kvm_vm_exists(k)))
		return;
	for (unsigned q = 0; q < vdev->nvqs; q++) {
		int fd = vdev->vqs[q].kick_fd;
		int r = on ? kvm_ioeventfd_assign(k, fd, doorbell(vdev, pio, q), len, pio)
			   : kvm_ioeventfd_deassign(k, fd, doorbell(vdev, pio, q), len, pio);

		if (r < 0 && on) {
			virtio_warn(vdev, "queue %u: no %s ioeventfd (%s): its notifications exit", q,
				    pio ? "I/O-port" : "MMIO", strerror(-r));
			for (unsigned i = 0; i < q; i++)
				(void)kvm_ioeventfd_deassign(k, vdev->vqs[i].kick_fd,
							     doorbell(vdev, pio, i), len, pio);
			return;
		}
	}
	*now = on;
}

static void ioeventfds_set(struct virtio_dev *vdev, bool on)
{
	doorbells_set(vdev, false, on);
	doorbells_set(vdev, true, on);
}

/* ---- The device's life, as the driver drives it ------------------------- */

static void stop_work(struct virtio_dev *vdev)
{
	if (vdev->started) {
		vdev->ops->stop(vdev);
		vdev->started = false;
	}
}

/* Status 0 (4.1.4.3.2): back to the reset state; the MSI-X table is the
 * PCI function's and stays. Caller holds vdev->lock. */
static void device_reset(struct virtio_dev *vdev)
{
	stop_work(vdev);
	for (unsigned q = 0; q < vdev->nvqs; q++)
		virtq_reset(&vdev->vqs[q]);
	vdev->status = 0;
	__atomic_store_n(&vdev->needs_reset, false, __ATOMIC_RELEASE);
	__atomic_store_n(&vdev->driver_features, 0, __ATOMIC_RELAXED);
	vdev->device_feature_select = vdev->driver_feature_select = 0;
	vdev->queue_select = 0;
	__atomic_store_n(&vdev->config_msix_vector, VIRTIO_MSI_NO_VECTOR, __ATOMIC_RELAXED);
	pthread_mutex_lock(&vdev->irq_lock);
	vdev->isr = 0;
	intx_update(vdev);
	pthread_mutex_unlock(&vdev->irq_lock);
}

static void set_status(struct virtio_dev *vdev, uint8_t v)
{
	uint8_t old = vdev->status;
	uint64_t f = vdev->driver_features;
	int r;

	if (v == 0) {
		device_reset(vdev);
		return;
	}
	if (old & ~v) {
		virtio_warn(vdev, "the driver cleared status bits (%#x to %#x) without a reset", old, v);
		return;
	}
	if ((v & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
		/* Accept only what was offered, and only as a 1.x driver; a
		 * driver that reads FEATURES_OK back unset gives up (3.1.1). */
		if ((f & ~offered(vdev)) || !(f & (1ULL << VIRTIO_F_VERSION_1)))
			v &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
		else if (vdev->ops->features_ok)
			vdev->ops->features_ok(vdev);
	}
	if ((v & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK)) {
		if (!(v & VIRTIO_CONFIG_S_FEATURES_OK)) {
			virtio_warn(vdev, "DRIVER_OK before FEATURES_OK");
			v &= (uint8_t)~VIRTIO_CONFIG_S_DRIVER_OK;
		} else {
			vdev->status = v;
			r = vdev->ops->start(vdev);
			if (r < 0) {
				/* Undo a start that failed half-way (queue 0's
				 * thread running when queue 1's could not be made):
				 * nothing may run on into the reset. */
				vdev->ops->stop(vdev);
				virtio_set_broken(vdev, NULL, "cannot start the device");
				return;
			}
			vdev->started = true;
			return;
		}
	}
	vdev->status = v;
}

static struct virtqueue *selected(struct virtio_dev *vdev)
{
	return vdev->queue_select < vdev->nvqs ? &vdev->vqs[vdev->queue_select] : NULL;
}

static uint16_t valid_vector(const struct virtio_dev *vdev, uint16_t v)
{
	return v < vdev->nvectors ? v : VIRTIO_MSI_NO_VECTOR;
}

static void enable_queue(struct virtio_dev *vdev, struct virtqueue *vq)
{
	if (vq->enabled)
		return;
	if (virtq_enable(vq, virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX),
			 virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC)) < 0) {
		char why[200];

		snprintf(why, sizeof(why), "%s", vq->broken_why);
		virtio_set_broken(vdev, vq, why);
	}
}

/* A queue address half: only while the queue is off (4.1.4.3.2). */
static void set_queue_addr(struct virtio_dev *vdev, struct virtqueue *vq, uint64_t *field,
			   bool high, uint32_t v)
{
	if (vq->enabled) {
		virtio_set_broken(vdev, vq, "the driver moved an enabled queue's rings");
		return;
	}
	*field = high ? (*field & 0xffffffffULL) | (uint64_t)v << 32
		      : (*field & ~0xffffffffULL) | v;
}

/* The common configuration as the guest reads it: built whole, then the
 * bytes it asks for, so any size and alignment reads consistently. */
static uint64_t common_read(struct virtio_dev *vdev, unsigned off, unsigned size)
{
	uint8_t img[COMMON_SIZE] = { 0 };
	struct virtqueue *vq = selected(vdev);
	uint64_t f = offered(vdev), v = 0;
	uint8_t status = vdev->status;

	if (__atomic_load_n(&vdev->needs_reset, __ATOMIC_ACQUIRE))
		status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	le_put(&img[VIRTIO_PCI_COMMON_DFSELECT], 4, vdev->device_feature_select);
	le_put(&img[VIRTIO_PCI_COMMON_DF], 4,
	       vdev->device_feature_select == 0 ? (uint32_t)f :
	       vdev->device_feature_select == 1 ? (uint32_t)(f >> 32) : 0);
	le_put(&img[VIRTIO_PCI_COMMON_GFSELECT], 4, vdev->driver_feature_select);
	le_put(&img[VIRTIO_PCI_COMMON_GF], 4,
	       vdev->driver_feature_select == 0 ? (uint32_t)vdev->driver_features :
	       vdev->driver_feature_select == 1 ? (uint32_t)(vdev->driver_features >> 32) : 0);
	le_put(&img[VIRTIO_PCI_COMMON_MSIX], 2, vdev->config_msix_vector);
	le_put(&img[VIRTIO_PCI_COMMON_NUMQ], 2, vdev->nvqs);
	img[VIRTIO_PCI_COMMON_STATUS] = status;
	img[VIRTIO_PCI_COMMON_CFGGENERATION] = vdev->config_generation;
	le_put(&img[VIRTIO_PCI_COMMON_Q_SELECT], 2, vdev->queue_select);
	if (vq) {
		le_put(&img[VIRTIO_PCI_COMMON_Q_SIZE], 2, vq->size);
		le_put(&img[VIRTIO_PCI_COMMON_Q_MSIX], 2, vq->msix_vector);
		le_put(&img[VIRTIO_PCI_COMMON_Q_ENABLE], 2, vq->enabled);
		le_put(&img[VIRTIO_PCI_COMMON_Q_NOFF], 2, vq->index);
		le_put(&img[VIRTIO_PCI_COMMON_Q_DESCLO], 4, (uint32_t)vq->desc_gpa);
		le_put(&img[VIRTIO_PCI_COMMON_Q_DESCHI], 4, (uint32_t)(vq->desc_gpa >> 32));
		le_put(&img[VIRTIO_PCI_COMMON_Q_AVAILLO], 4, (uint32_t)vq->avail_gpa);
		le_put(&img[VIRTIO_PCI_COMMON_Q_AVAILHI], 4, (uint32_t)(vq->avail_gpa >> 32));
		le_put(&img[VIRTIO_PCI_COMMON_Q_USEDLO], 4, (uint32_t)vq->used_gpa);
		le_put(&img[VIRTIO_PCI_COMMON_Q_USEDHI], 4, (uint32_t)(vq->used_gpa >> 32));
	}
	if (off < COMMON_SIZE && size <= COMMON_SIZE - off)
		memcpy(&v, &img[off], size);
	return v;
}

static void common_write(struct virtio_dev *vdev, unsigned off, unsigned size, uint64_t value)
{
	struct virtqueue *vq = selected(vdev);
	uint32_t v = (uint32_t)value;

	/* Each field has its own width (4.1.4.3); a 64-bit address may also
	 * come whole. */
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		if (size == 4) { vdev->device_feature_select = v; return; }
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		if (size == 4) { vdev->driver_feature_select = v; return; }
		break;
	case VIRTIO_PCI_COMMON_GF:
		if (size != 4)
			break;
		if (vdev->status & VIRTIO_CONFIG_S_FEATURES_OK) {
			virtio_warn(vdev, "the driver changed its features after FEATURES_OK");
			return;
		}
		if (vdev->driver_feature_select < 2) {
			uint64_t f = vdev->driver_features, sel = vdev->driver_feature_select;

			f = sel ? (f & 0xffffffffULL) | (uint64_t)v << 32 : (f & ~0xffffffffULL) | v;
			__atomic_store_n(&vdev->driver_features, f, __ATOMIC_RELAXED);
		}
		return;
	case VIRTIO_PCI_COMMON_MSIX:
		if (size == 2) {
			__atomic_store_n(&vdev->config_msix_vector, valid_vector(vdev, (uint16_t)v),
					 __ATOMIC_RELAXED);
			return;
		}
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		if (size == 1) { set_status(vdev, (uint8_t)v); return; }
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		if (size == 2) { vdev->queue_select = (uint16_t)v; return; }
		break;
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (size != 2)
			break;
		if (vq && vq->enabled)
			virtio_set_broken(vdev, vq, "the driver resized an enabled queue");
		else if (vq)
			vq->size = (uint16_t)v;
		return;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		if (size != 2)
			break;
		if (vq)
			__atomic_store_n(&vq->msix_vector, valid_vector(vdev, (uint16_t)v),
					 __ATOMIC_RELAXED);
		return;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (size != 2)
			break;
		if (vq && v == 1)
			enable_queue(vdev, vq);
		else if (vq && v == 0 && vq->enabled)
			virtio_warn(vdev, "queue %u: the driver wrote 0 to queue_enable", vq->index);
		return;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI: {
		bool high = off & 4;
		uint64_t *field;

		if (!vq)
			return;
		field = off < VIRTIO_PCI_COMMON_Q_AVAILLO ? &vq->desc_gpa :
			off < VIRTIO_PCI_COMMON_Q_USEDLO ? &vq->avail_gpa : &vq->used_gpa;
		if (size == 4) {
			set_queue_addr(vdev, vq, field, high, v);
			return;
		}
		if (size == 8 && !high) {
			set_queue_addr(vdev, vq, field, false, v);
			set_queue_addr(vdev, vq, field, true, (uint32_t)(value >> 32));
			return;
		}
		break;
	}
	default:
		/* Read-only fields, or past the structure. */
		return;
	}
	virtio_warn(vdev, "a %u-byte write to common configuration offset %#x ignored", size, off);
}

/* ---- BAR0 ---------------------------------------------------------------- */

static uint64_t isr_read(struct virtio_dev *vdev)
{
	uint8_t v;

	/* Reading clears it, and with it the INTx line (4.1.4.5.1). */
	pthread_mutex_lock(&vdev->irq_lock);
	v = vdev->isr;
	vdev->isr = 0;
	intx_update(vdev);
	pthread_mutex_unlock(&vdev->irq_lock);
	return v;
}

static uint64_t pba_read(struct virtio_dev *vdev, uint64_t off, unsigned size)
{
	uint64_t len = msix_pba_size(vdev->nvectors), v = 0;

	if (off > len || size > len - off)
		return 0;
	for (unsigned b = 0; b < 8 * size; b++) {
		uint64_t i = 8 * off + b;

		if (i < vdev->nvectors && msix_on(vdev) && msi_vector_pending(&vdev->vectors[i]))
			v |= 1ULL << b;
	}
	return v;
}

static bool within(uint64_t off, unsigned size, uint64_t base, uint64_t len)
{
	return off >= base && off - base <= len && size <= len - (off - base);
}

static void kick(struct virtio_dev *vdev, unsigned q)
{
	(void)!write(vdev->vqs[q].kick_fd, &(uint64_t){ 1 }, sizeof(uint64_t));
}

static uint64_t bar_read(void *opaque, uint64_t off, unsigned size)
{
	struct virtio_dev *vdev = opaque;
	const struct virtio_ops *ops = vdev->ops;
	uint64_t v = 0;

	pthread_mutex_lock(&vdev->lock);
	if (within(off, size, VIRTIO_BAR_COMMON, COMMON_SIZE)) {
		v = common_read(vdev, (unsigned)(off - VIRTIO_BAR_COMMON), size);
	} else if (within(off, size, VIRTIO_BAR_ISR, 1)) {
		v = isr_read(vdev);
	} else if (within(off, size, VIRTIO_BAR_DEVICE, ops->config_size)) {
		if (size <= sizeof(v) && ops->config_read)
			ops->config_read(vdev, (unsigned)(off - VIRTIO_BAR_DEVICE), &v, size);
	} else if (within(off, size, VIRTIO_BAR_MSIX, (uint64_t)vdev->nvectors * MSIX_ENTRY_SIZE)) {
		v = msix_table_read(&vdev->msix, off - VIRTIO_BAR_MSIX, size);
	} else if (within(off, size, VIRTIO_BAR_PBA, msix_pba_size(vdev->nvectors))) {
		v = pba_read(vdev, off - VIRTIO_BAR_PBA, size);
	}
	pthread_mutex_unlock(&vdev->lock);
	return v;
}

static void bar_write(void *opaque, uint64_t off, unsigned size, uint64_t value)
{
	struct virtio_dev *vdev = opaque;
	const struct virtio_ops *ops = vdev->ops;
	unsigned first, last;

	/* A doorbell that did not match the ioeventfd (another size, or
	 * none registered): ring it here. No lock: it touches one fd. */
	if (within(off, size, VIRTIO_BAR_NOTIFY, (uint64_t)vdev->nvqs * VIRTIO_NOTIFY_MULT)) {
		kick(vdev, (unsigned)((off - VIRTIO_BAR_NOTIFY) / VIRTIO_NOTIFY_MULT));
		return;
	}
	pthread_mutex_lock(&vdev->lock);
	if (within(off, size, VIRTIO_BAR_COMMON, COMMON_SIZE)) {
		common_write(vdev, (unsigned)(off - VIRTIO_BAR_COMMON), size, value);
	} else if (within(off, size, VIRTIO_BAR_DEVICE, ops->config_size)) {
		if (ops->config_write)
			ops->config_write(vdev, (unsigned)(off - VIRTIO_BAR_DEVICE), &value, size);
	} else if (off >= VIRTIO_BAR_MSIX && off < VIRTIO_BAR_PBA &&
		   msix_table_write(&vdev->msix, off - VIRTIO_BAR_MSIX, size, value, &first, &last)) {
		for (unsigned i = first; i <= last; i++)
			vector_update(vdev, i);
	}
	pthread_mutex_unlock(&vdev->lock);
}

static const struct bus_ops bar_ops = { .read = bar_read, .write = bar_write };

/* ---- BAR2: the doorbells as I/O ports ------------------------------------ */

/* Write-only (4.1.4.4): reads see 0. */
static uint64_t pio_read(void *opaque, uint64_t off, unsigned size)
{
	return 0;
}

/* A doorbell that did not match its ioeventfd. No lock: it touches one fd. */
static void pio_write(void *opaque, uint64_t off, unsigned size, uint64_t value)
{
	struct virtio_dev *vdev = opaque;

	if (within(off, size, 0, (uint64_t)vdev->nvqs * VIRTIO_PIO_MULT))
		kick(vdev, (unsigned)(off / VIRTIO_PIO_MULT));
}

static const struct bus_ops pio_ops = { .read = pio_read, .write = pio_write };

/* Decode BAR0 (on the MMIO bus) or BAR2 (the doorbell ports) at ADDR, or
 * stop decoding it; its doorbells' ioeventfds follow. */
static int bar_decode(struct virtio_dev *vdev, bool pio, uint64_t addr, bool enable)
{
	struct bus *bus = pio ? &vdev->vm->pio : &vdev->vm->mmio;
	uint64_t *at = pio ? &vdev->pio_addr : &vdev->bar_addr;
	bool *mapped = pio ? &vdev->pio_mapped : &vdev->bar_mapped;
	int r;

	if (!enable) {
		doorbells_set(vdev, pio, false);
		if (*mapped)
			bus_unregister(bus, *at, vdev);
		*mapped = false;
		*at = 0;
		return 0;
	}
	r = bus_register(bus, addr, pio ? vdev->pio_size : VIRTIO_BAR_SIZE, vdev->name,
			 pio ? &pio_ops : &bar_ops, vdev);
	if (r == 0) {
		*at = addr;
		*mapped = true;
		doorbells_set(vdev, pio, true);
	}
	return r;
}

static int bar_map(struct pci_device *d, unsigned index, uint64_t addr, bool enable)
{
	struct virtio_dev *vdev = d->opaque;
	int r;

	if (index != 0 && !(index == VIRTIO_PIO_BAR && vdev->pio_size))
		return -EINVAL;
	pthread_mutex_lock(&vdev->lock);
	r = bar_decode(vdev, index == VIRTIO_PIO_BAR, addr, enable);
	pthread_mutex_unlock(&vdev->lock);
	return r;
}

/* ---- Config space -------------------------------------------------------- */

static const uint8_t msix_control_hi = (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;

/* The VIRTIO_PCI_CAP_PCI_CFG window: BAR0 (or BAR2) through config space. */
static bool pci_cfg_target(struct virtio_dev *vdev, unsigned *bar, uint64_t *off, unsigned *len)
{
	const uint8_t *c = &vdev->pci.cfg[CAP_PCI_CFG];
	uint64_t size;

	*bar = c[VIRTIO_PCI_CAP_BAR];
	*off = le_get(&c[VIRTIO_PCI_CAP_OFFSET], 4);
	*len = le_get(&c[VIRTIO_PCI_CAP_LENGTH], 4);
	if (*bar == 0)
		size = VIRTIO_BAR_SIZE;
	else if (*bar == VIRTIO_PIO_BAR)
		size = vdev->pio_size;
	else
		return false;
	return (*len == 1 || *len == 2 || *len == 4) && *off + *len <= size;
}

static uint32_t config_read(struct pci_device *d, unsigned offset, unsigned size)
{
	struct virtio_dev *vdev = d->opaque;
	uint64_t off;
	unsigned bar, len;

	if (offset >= PCI_CFG_DATA && offset < PCI_CFG_DATA + 4 && pci_cfg_target(vdev, &bar, &off, &len)) {
		uint32_t v = (uint32_t)(bar == 0 ? bar_read(vdev, off, len) : pio_read(vdev, off, len));

		le_put(&d->cfg[PCI_CFG_DATA], 4, v);
	}
	return pci_config_read_emulated(d, offset, size);
}

static void config_write(struct pci_device *d, unsigned offset, unsigned size, uint32_t value)
{
	struct virtio_dev *vdev = d->opaque;
	uint64_t off;
	unsigned bar, len;

	pci_config_write_emulated(d, offset, size, value);
	if (offset >= PCI_CFG_DATA && offset < PCI_CFG_DATA + 4 && pci_cfg_target(vdev, &bar, &off, &len)) {
		uint64_t v = le_get(&d->cfg[PCI_CFG_DATA], len);

		if (bar == 0)
			bar_write(vdev, off, len, v);
		else
			pio_write(vdev, off, len, v);
	}
	if (offset <= CAP_MSIX + PCI_MSIX_FLAGS + 1 && offset + size > CAP_MSIX + PCI_MSIX_FLAGS + 1) {
		uint8_t hi = d->cfg[CAP_MSIX + PCI_MSIX_FLAGS + 1];

		pthread_mutex_lock(&vdev->lock);
		__atomic_store_n(&vdev->msix.enabled, (hi & (PCI_MSIX_FLAGS_ENABLE >> 8)) != 0,
				 __ATOMIC_RELEASE);
		vdev->msix.masked = hi & (PCI_MSIX_FLAGS_MASKALL >> 8);
		vectors_update(vdev);
		pthread_mutex_lock(&vdev->irq_lock);
		intx_update(vdev);
		pthread_mutex_unlock(&vdev->irq_lock);
		pthread_mutex_unlock(&vdev->lock);
	}
}

static void pci_reset(struct pci_device *d)
{
	virtio_pci_reset(d->opaque);
}

static const struct pci_device_ops virtio_pci_ops = {
	.config_read = config_read,
	.config_write = config_write,
	.bar_map = bar_map,
	.reset = pci_reset,
};

static void put_cap(struct pci_device *d, unsigned at, unsigned next, uint8_t type, uint8_t bar,
		    uint32_t off, uint32_t len, uint8_t cap_len)
{
	uint8_t *c = &d->cfg[at];

	c[VIRTIO_PCI_CAP_VNDR] = PCI_CAP_ID_VNDR;
	c[VIRTIO_PCI_CAP_NEXT] = (uint8_t)next;
	c[VIRTIO_PCI_CAP_LEN] = cap_len;
	c[VIRTIO_PCI_CAP_CFG_TYPE] = type;
	c[VIRTIO_PCI_CAP_BAR] = bar;
	le_put(&c[VIRTIO_PCI_CAP_OFFSET], 4, off);
	le_put(&c[VIRTIO_PCI_CAP_LENGTH], 4, len);
}

static void build_config_space(struct virtio_dev *vdev)
{
	struct pci_device *d = &vdev->pci;
	const struct virtio_ops *ops = vdev->ops;

	le_put(&d->cfg[PCI_SUBSYSTEM_VENDOR_ID], 2, VIRTIO_PCI_VENDOR);
	le_put(&d->cfg[PCI_SUBSYSTEM_ID], 2, VIRTIO_PCI_SUBSYSTEM);
	le_put(&d->cfg[PCI_STATUS], 2, PCI_STATUS_CAP_LIST);
	d->cfg[PCI_CAPABILITY_LIST] = CAP_MSIX;

	d->cfg[CAP_MSIX + PCI_CAP_LIST_ID] = PCI_CAP_ID_MSIX;
	d->cfg[CAP_MSIX + PCI_CAP_LIST_NEXT] = CAP_COMMON;
	le_put(&d->cfg[CAP_MSIX + PCI_MSIX_FLAGS], 2, vdev->nvectors - 1);
	le_put(&d->cfg[CAP_MSIX + PCI_MSIX_TABLE], 4, VIRTIO_BAR_MSIX);   /* BIR 0 */
	le_put(&d->cfg[CAP_MSIX + PCI_MSIX_PBA], 4, VIRTIO_BAR_PBA);
	d->wmask[CAP_MSIX + PCI_MSIX_FLAGS + 1] = msix_control_hi;

	put_cap(d, CAP_COMMON, vdev->pio_size ? CAP_NOTIFY_PIO : CAP_NOTIFY, VIRTIO_PCI_CAP_COMMON_CFG,
		0, VIRTIO_BAR_COMMON, COMMON_SIZE, sizeof(struct virtio_pci_cap));
	if (vdev->pio_size) {
		put_cap(d, CAP_NOTIFY_PIO, CAP_NOTIFY, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PIO_BAR, 0,
			vdev->nvqs * VIRTIO_PIO_MULT, sizeof(struct virtio_pci_notify_cap));
		le_put(&d->cfg[CAP_NOTIFY_PIO + VIRTIO_PCI_NOTIFY_CAP_MULT], 4, VIRTIO_PIO_MULT);
	}
	put_cap(d, CAP_NOTIFY, CAP_ISR, VIRTIO_PCI_CAP_NOTIFY_CFG, 0, VIRTIO_BAR_NOTIFY,
		vdev->nvqs * VIRTIO_NOTIFY_MULT, sizeof(struct virtio_pci_notify_cap));
	le_put(&d->cfg[CAP_NOTIFY + VIRTIO_PCI_NOTIFY_CAP_MULT], 4, VIRTIO_NOTIFY_MULT);
	put_cap(d, CAP_ISR, ops->config_size ? CAP_DEVICE : CAP_PCI_CFG, VIRTIO_PCI_CAP_ISR_CFG, 0,
		VIRTIO_BAR_ISR, 1, sizeof(struct virtio_pci_cap));
	if (ops->config_size)
		put_cap(d, CAP_DEVICE, CAP_PCI_CFG, VIRTIO_PCI_CAP_DEVICE_CFG, 0, VIRTIO_BAR_DEVICE,
			(uint32_t)ops->config_size, sizeof(struct virtio_pci_cap));
	put_cap(d, CAP_PCI_CFG, 0, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0, sizeof(struct virtio_pci_cfg_cap));
	/* The window's bar, offset, length and data are the driver's. */
	d->wmask[CAP_PCI_CFG + VIRTIO_PCI_CAP_BAR] = 0xff;
	memset(&d->wmask[CAP_PCI_CFG + VIRTIO_PCI_CAP_OFFSET], 0xff, 8);
	memset(&d->wmask[PCI_CFG_DATA], 0xff, 4);
}

int virtio_pci_create(struct virtio_dev *vdev, struct vm *vm, const struct virtio_ops *ops,
		      void *opaque, const char *name)
{
	int r;

	memset(vdev, 0, sizeof(*vdev));
	vdev->vm = vm;
	vdev->ops = ops;
	vdev->opaque = opaque;
	vdev->name = name;
	pthread_mutex_init(&vdev->lock, NULL);
	pthread_mutex_init(&vdev->irq_lock, NULL);
	ratelimit_init(&vdev->rl, 10, 5);
	if (ops->config_size > VIRTIO_DEVICE_CONFIG_MAX || !ops->nqueues ||
	    ops->queue_size > VIRTQ_MAX_SIZE || (ops->queue_size & (ops->queue_size - 1)))
		return -EINVAL;

	vdev->nvqs = ops->nqueues;
	vdev->vqs = calloc(vdev->nvqs, sizeof(*vdev->vqs));
	if (!vdev->vqs)
		return -ENOMEM;
	for (unsigned q = 0; q < vdev->nvqs; q++) {
		virtq_init(&vdev->vqs[q], vdev, &vm->mem, q, ops->queue_size);
		vdev->vqs[q].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vdev->vqs[q].kick_fd < 0)
			return -errno;
	}
	/* One vector per queue and one for configuration changes. */
	vdev->nvectors = vdev->nvqs + 1;
	r = msix_table_init(&vdev->msix, vdev->nvectors);
	if (r < 0)
		return r;
	vdev->vectors = calloc(vdev->nvectors, sizeof(*vdev->vectors));
	if (!vdev->vectors)
		return -ENOMEM;
	r = msi_vectors_open(vdev->vectors, vdev->nvectors);
	if (r < 0)
		return r;
	vdev->config_msix_vector = VIRTIO_MSI_NO_VECTOR;

	pci_device_init(&vdev->pci, name, VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE_BASE + ops->device_id,
			ops->class_code, VIRTIO_PCI_REVISION);
	vdev->pci.ops = &virtio_pci_ops;
	vdev->pci.opaque = vdev;
	r = pci_device_add_bar(&vdev->pci, 0, PCI_BAR_MEM64, VIRTIO_BAR_SIZE, false);
	if (r < 0)
		return r;
	/* I/O BARs are powers of two up to 256 bytes (the PCI host's rule):
	 * a device with more than 128 queues rings through BAR0 only. */
	if (vdev->nvqs * VIRTIO_PIO_MULT <= PCI_IO_BAR_MAX) {
		vdev->pio_size = (unsigned)pci_pow2_ceil(vdev->nvqs * VIRTIO_PIO_MULT < 4 ? 4 :
							  vdev->nvqs * VIRTIO_PIO_MULT);
		r = pci_device_add_bar(&vdev->pci, VIRTIO_PIO_BAR, PCI_BAR_IO, vdev->pio_size, false);
		if (r < 0)
			return r;
	}
	build_config_space(vdev);
	return pci_host_add_device(vm->pci, &vdev->pci, -1, 1);
}

void virtio_pci_free(struct virtio_dev *vdev)
{
	if (vdev->pci.host)
		pci_host_remove_device(vdev->pci.host, &vdev->pci);
	pthread_mutex_lock(&vdev->lock);
	stop_work(vdev);
	bar_decode(vdev, false, 0, false);
	bar_decode(vdev, true, 0, false);
	pthread_mutex_unlock(&vdev->lock);
	for (unsigned q = 0; vdev->vqs && q < vdev->nvqs; q++)
		if (vdev->vqs[q].kick_fd >= 0)
			close(vdev->vqs[q].kick_fd);
	free(vdev->vqs);
	vdev->vqs = NULL;
	msi_vectors_close(vdev->vectors, vdev->nvectors);
	free(vdev->vectors);
	vdev->vectors = NULL;
	msix_table_free(&vdev->msix);
	pthread_mutex_destroy(&vdev->lock);
	pthread_mutex_destroy(&vdev->irq_lock);
}

int virtio_pci_attach(struct virtio_dev *vdev)
{
	pthread_mutex_lock(&vdev->lock);
	ioeventfds_set(vdev, true);
	vectors_update(vdev);
	pthread_mutex_unlock(&vdev->lock);
	return 0;
}

void virtio_pci_stop(struct virtio_dev *vdev)
{
	pthread_mutex_lock(&vdev->lock);
	stop_work(vdev);
	pthread_mutex_unlock(&vdev->lock);
}

void virtio_pci_detach(struct virtio_dev *vdev)
{
	pthread_mutex_lock(&vdev->lock);
	ioeventfds_set(vdev, false);
	vectors_release(vdev);
	pthread_mutex_lock(&vdev->irq_lock);
	vdev->intx_level = false;
	pthread_mutex_unlock(&vdev->irq_lock);
	pthread_mutex_unlock(&vdev->lock);
}

void virtio_pci_reset(struct virtio_dev *vdev)
{
	pthread_mutex_lock(&vdev->lock);
	device_reset(vdev);
	msix_table_reset(&vdev->msix);
	vdev->pci.cfg[CAP_MSIX + PCI_MSIX_FLAGS + 1] &= (uint8_t)~msix_control_hi;
	vectors_release(vdev);
	/* Whatever a vector held belongs to the last boot. */
	for (unsigned i = 0; i < vdev->nvectors; i++) {
		uint64_t n;

		(void)!read(vdev->vectors[i].efd, &n, sizeof(n));
	}
	pthread_mutex_unlock(&vdev->lock);
}
