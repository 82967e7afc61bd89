// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSI (PCI 3.0 section 6.8.1), emulated whole: the guest's address, data
 * and mask bits stay here and become KVM routes; the device gets host
 * vectors from vfio-pci. With multiple messages, vector i carries the
 * guest's data with its low bits replaced by i, as the device would send.
 */
#include <errno.h>
#include <string.h>

#include "core/util/bytes.h"
#include "core/util/log.h"
#include "core/vm/vm.h"
#include "vfio/internal.h"

static unsigned data_off(const struct vfio_msi *m)
{
	return m->is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
}

static unsigned mask_off(const struct vfio_msi *m)
{
	return m->is64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32;
}

static unsigned cap_len(const struct vfio_msi *m)
{
	if (m->maskable)
		return (m->is64 ? PCI_MSI_PENDING_64 : PCI_MSI_PENDING_32) + 4;
	return data_off(m) + 2;
}

int vfio_msi_init(struct vfio_pci *p, unsigned cap)
{
	struct vfio_msi *m = &p->msi;
	uint8_t *cfg = p->pci.cfg, *wm = p->pci.wmask;
	uint8_t raw[2];
	uint16_t flags;
	unsigned len;
	int r;

	r = vfio_dev_read(&p->dev, VFIO_PCI_CONFIG_REGION_INDEX, cap + PCI_MSI_FLAGS, raw, 2);
	if (r < 0)
		return r;
	flags = (uint16_t)le_get(raw, 2);
	m->is64 = flags & PCI_MSI_FLAGS_64BIT;
	m->maskable = flags & PCI_MSI_FLAGS_MASKBIT;
	m->max = 1u << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
	if (m->max > 32)
		m->max = 32;
	if (p->dev.irq_count[VFIO_PCI_MSI_IRQ_INDEX] < m->max)
		m->max = p->dev.irq_count[VFIO_PCI_MSI_IRQ_INDEX];
	if (!m->max)
		return -EINVAL;
	len = cap_len(m);
	if (cap + len > PCI_CFG_SPACE_SIZE)
		return -EINVAL;
	r = msi_vectors_open(m->vec, m->max);
	if (r < 0)
		return r;

	memset(&p->emu[cap + PCI_MSI_FLAGS], 1, len - PCI_MSI_FLAGS);
	memset(&cfg[cap + PCI_MSI_FLAGS], 0, len - PCI_MSI_FLAGS);
	/* What the guest may ask for: enable, and up to MAX messages. */
	flags &= PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT;
	for (unsigned q = 0; (1u << q) < m->max; q++)
		flags = (uint16_t)((flags & ~PCI_MSI_FLAGS_QMASK) | (q + 1) << 1);
	le_put(&cfg[cap + PCI_MSI_FLAGS], 2, flags);
	le_put(&wm[cap + PCI_MSI_FLAGS], 2, PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	le_put(&wm[cap + PCI_MSI_ADDRESS_LO], 4, 0xfffffffcU);
	if (m->is64)
		le_put(&wm[cap + PCI_MSI_ADDRESS_HI], 4, 0xffffffffU);
	le_put(&wm[cap + data_off(m)], 2, 0xffff);
	if (m->maskable)
		le_put(&wm[cap + mask_off(m)], 4, m->max == 32 ? 0xffffffffU : (1u << m->max) - 1);
	m->cap = cap;
	return 0;
}

static void stop_vectors(struct vfio_pci *p)
{
	struct vfio_msi *m = &p->msi;

	for (unsigned i = 0; i < m->max; i++) {
		msi_vector_release(&p->vm->kvm, &m->vec[i]);
	}
	if (m->count)
		(void)vfio_dev_set_irqs(&p->dev, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0,
					0, NULL);
	m->count = 0;
	m->enabled = false;
}

void vfio_msi_config_written(struct vfio_pci *p)
{
	struct vfio_msi *m = &p->msi;
	const uint8_t *cfg = &p->pci.cfg[m->cap];
	uint16_t flags;
	unsigned want;
	uint64_t addr;
	uint32_t data, mask;
	int fds[32];
	int r;

	pthread_mutex_lock(&p->lock);
	flags = (uint16_t)le_get(&cfg[PCI_MSI_FLAGS], 2);
	want = 1u << ((flags & PCI_MSI_FLAGS_QSIZE) >> 4);
	if (want > m->max)
		want = m->max;
	if (!(flags & PCI_MSI_FLAGS_ENABLE)) {
		if (m->enabled) {
			stop_vectors(p);
			if (kvm_vm_exists(&p->vm->kvm) && !p->msix.table.enabled)
				(void)vfio_intx_enable(p);
		}
		goto out;
	}
	if (!m->enabled || m->count != want) {
		if (m->enabled)
			stop_vectors(p);
		vfio_intx_disable(p);
		vfio_msix_stop(p);
		for (unsigned i = 0; i < want; i++)
			fds[i] = m->vec[i].efd;
		r = vfio_dev_set_irqs(&p->dev, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0,
				      want, fds);
		if (r < 0) {
			ratelimit_warning(&p->rl, "vfio %s: cannot enable %u MSI vector(s): %s",
					  p->dev.bdf, want, strerror(-r));
			goto out;
		}
		m->enabled = true;
		m->count = want;
	}
	addr = le_get(&cfg[PCI_MSI_ADDRESS_LO], 4);
	if (m->is64)
		addr |= (uint64_t)le_get(&cfg[PCI_MSI_ADDRESS_HI], 4) << 32;
	data = le_get(&cfg[data_off(m)], 2);
	mask = m->maskable ? le_get(&cfg[mask_off(m)], 4) : 0;
	for (unsigned i = 0; i < m->count; i++) {
		m->vec[i].addr = addr;
		m->vec[i].data = (data & ~(m->count - 1)) | i;
		r = msi_vector_update(&p->vm->kvm, &m->vec[i], !(mask & (1u << i)));
		if (r < 0)
			ratelimit_warning(&p->rl, "vfio %s: MSI vector %u: %s", p->dev.bdf, i,
					  strerror(-r));
	}
out:
	pthread_mutex_unlock(&p->lock);
}

uint32_t vfio_msi_pending_bits(struct vfio_pci *p)
{
	uint32_t bits = 0;

	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; p->msi.enabled && i < p->msi.count; i++)
		if (msi_vector_pending(&p->msi.vec[i]))
			bits |= 1u << i;
	pthread_mutex_unlock(&p->lock);
	return bits;
}

void vfio_msi_stop(struct vfio_pci *p)
{
	if (p->msi.cap && p->msi.enabled)
		stop_vectors(p);
}

void vfio_msi_reset(struct vfio_pci *p)
{
	struct vfio_msi *m = &p->msi;

	if (!m->cap)
		return;
	stop_vectors(p);
	/* Back to reset values: disabled, one message, no address. */
	memset(&p->pci.cfg[m->cap + PCI_MSI_ADDRESS_LO], 0, cap_len(m) - PCI_MSI_ADDRESS_LO);
	p->pci.cfg[m->cap + PCI_MSI_FLAGS] &= (uint8_t)~(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
}
