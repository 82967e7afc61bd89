// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSI-X (PCI 3.0 section 6.8.2). The capability's control word and the
 * whole vector table are emulated: the guest's addresses and data become
 * KVM MSI routes, never the device's table, which vfio-pci programs with
 * host vectors. The PBA the guest reads is the device's (vectors the host
 * has not enabled yet) plus, for vectors the guest masked, whether their
 * eventfd holds an interrupt.
 *
 * On the device, vfio-pci (6.1) enables MSI-X with a fixed number of
 * vectors; partvm enables as many as the guest has unmasked, and grows
 * the set (disable, enable with more) when it unmasks one beyond. Vectors
 * the device raised while not enabled are pending in its own PBA and fire
 * once enabled; vectors already live are kicked once after the regrowth,
 * since the device may have raised them in between.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util/log.h"
#include "core/vm/vm.h"
#include "vfio/internal.h"

/* The guest's bits of the control word, in its high byte. */
#define CONTROL_HI ((PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8)

static uint32_t cfg_le32(const uint8_t *b)
{
	return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

int vfio_msix_init(struct vfio_pci *p, unsigned cap)
{
	struct vfio_msix *m = &p->msix;
	uint8_t raw[PCI_CAP_MSIX_SIZEOF];
	uint16_t flags;
	uint32_t table, pba;
	int r;

	r = vfio_dev_read(&p->dev, VFIO_PCI_CONFIG_REGION_INDEX, cap, raw, sizeof(raw));
	if (r < 0)
		return r;
	flags = (uint16_t)(raw[PCI_MSIX_FLAGS] | raw[PCI_MSIX_FLAGS + 1] << 8);
	table = cfg_le32(&raw[PCI_MSIX_TABLE]);
	pba = cfg_le32(&raw[PCI_MSIX_PBA]);
	m->nvec = (flags & PCI_MSIX_FLAGS_QSIZE) + 1u;
	if (p->dev.irq_count[VFIO_PCI_MSIX_IRQ_INDEX] < m->nvec)
		return -EINVAL;   /* vfio-pci disagrees with the capability */
	m->table_bar = table & PCI_MSIX_TABLE_BIR;
	m->table_off = table & PCI_MSIX_TABLE_OFFSET;
	m->pba_bar = pba & PCI_MSIX_PBA_BIR;
	m->pba_off = pba & PCI_MSIX_PBA_OFFSET;
	if (m->table_bar >= PCI_NUM_BARS || m->pba_bar >= PCI_NUM_BARS)
		return -EINVAL;
	if (m->table_off + (uint64_t)m->nvec * MSIX_ENTRY_SIZE >
		    p->dev.regions[m->table_bar].size ||
	    m->pba_off + msix_pba_size(m->nvec) > p->dev.regions[m->pba_bar].size)
		return -EINVAL;

	r = msix_table_init(&m->table, m->nvec);
	if (r < 0)
		return r;
	m->vec = calloc(m->nvec, sizeof(*m->vec));
	if (!m->vec)
		return -ENOMEM;
	r = msi_vectors_open(m->vec, m->nvec);
	if (r < 0)
		return r;

	memset(&p->emu[cap + PCI_MSIX_FLAGS], 1, PCI_CAP_MSIX_SIZEOF - PCI_MSIX_FLAGS);
	memcpy(&p->pci.cfg[cap + PCI_MSIX_FLAGS], &raw[PCI_MSIX_FLAGS],
	       PCI_CAP_MSIX_SIZEOF - PCI_MSIX_FLAGS);
	p->pci.cfg[cap + PCI_MSIX_FLAGS + 1] &= (uint8_t)~CONTROL_HI;
	p->pci.wmask[cap + PCI_MSIX_FLAGS + 1] = CONTROL_HI;
	m->cap = cap;
	return 0;
}

static bool vector_live(const struct vfio_msix *m, unsigned i)
{
	return msix_vector_live(&m->table, i);
}

static void load_message(struct vfio_msix *m, unsigned i)
{
	msix_vector_message(&m->table, i, &m->vec[i].addr, &m->vec[i].data);
}

/* Enable COUNT vectors on the device. This is a rare event (MSI-X enable,
 * a vector beyond the enabled set), so the ioctl's buffer is allocated. */
static int hw_enable(struct vfio_pci *p, unsigned count)
{
	struct vfio_msix *m = &p->msix;
	int *fds = calloc(count, sizeof(int));
	int r;

	if (!fds)
		return -ENOMEM;
	for (unsigned i = 0; i < count; i++)
		fds[i] = m->vec[i].efd;
	if (m->hw_count)
		(void)vfio_dev_set_irqs(&p->dev, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
					0, 0, NULL);
	r = vfio_dev_set_irqs(&p->dev, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, count,
			      fds);
	if (r == 0) {
		/* Live vectors may have fired while the device had none. */
		for (unsigned i = 0; i < m->hw_count && i < count; i++)
			if (vector_live(m, i))
				msi_vector_fire(&m->vec[i]);
		m->hw_count = count;
	} else {
		m->hw_count = 0;
	}
	free(fds);
	return r;
}

/* Bring vector I in line with the table and the control word; grow the
 * device's set when the guest unmasks a vector beyond it. */
static void update(struct vfio_pci *p, unsigned i)
{
	struct vfio_msix *m = &p->msix;
	bool live = vector_live(m, i);
	int r;

	load_message(m, i);
	if (live && i >= m->hw_count) {
		unsigned count = m->hw_count * 2 > i + 1 ? m->hw_count * 2 : i + 1;

		r = hw_enable(p, count < m->nvec ? count : m->nvec);
		if (r < 0)
			ratelimit_warning(&p->rl, "vfio %s: cannot enable %u MSI-X vectors: %s",
					  p->dev.bdf, i + 1, strerror(-r));
	}
	r = msi_vector_update(&p->vm->kvm, &m->vec[i], live);
	if (r < 0)
		ratelimit_warning(&p->rl, "vfio %s: MSI-X vector %u: cannot %s its interrupt: %s",
				  p->dev.bdf, i, live ? "route" : "mask", strerror(-r));
}

static void start(struct vfio_pci *p)
{
	struct vfio_msix *m = &p->msix;
	unsigned need = 1;
	int r;

	/* MSI-X replaces INTx (and MSI) on the device. */
	vfio_intx_disable(p);
	vfio_msi_stop(p);
	for (unsigned i = 0; i < m->nvec; i++)
		if (!(m->table.entries[4 * i + 3] & PCI_MSIX_ENTRY_CTRL_MASKBIT))
			need = i + 1;
	r = hw_enable(p, need);
	if (r < 0)
		ratelimit_warning(&p->rl, "vfio %s: cannot enable MSI-X: %s", p->dev.bdf,
				  strerror(-r));
}

static void stop_locked(struct vfio_pci *p)
{
	struct vfio_msix *m = &p->msix;

	for (unsigned i = 0; i < m->nvec; i++) {
		msi_vector_release(&p->vm->kvm, &m->vec[i]);
	}
	if (m->hw_count)
		(void)vfio_dev_set_irqs(&p->dev, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
					0, 0, NULL);
	m->hw_count = 0;
	m->table.enabled = false;
}

void vfio_msix_config_written(struct vfio_pci *p)
{
	struct vfio_msix *m = &p->msix;
	uint16_t flags;
	bool enable;

	pthread_mutex_lock(&p->lock);
	flags = (uint16_t)(p->pci.cfg[m->cap + PCI_MSIX_FLAGS] |
			   p->pci.cfg[m->cap + PCI_MSIX_FLAGS + 1] << 8);
	enable = flags & PCI_MSIX_FLAGS_ENABLE;
	m->table.masked = flags & PCI_MSIX_FLAGS_MASKALL;
	if (enable && !m->table.enabled) {
		m->table.enabled = true;
		start(p);
	} else if (!enable && m->table.enabled) {
		stop_locked(p);
		/* Back to INTx, as a device without MSI-X enabled is. */
		if (kvm_vm_exists(&p->vm->kvm) && !p->msi.enabled)
			(void)vfio_intx_enable(p);
	}
	for (unsigned i = 0; m->table.enabled && i < m->nvec; i++)
		update(p, i);
	pthread_mutex_unlock(&p->lock);
}

bool vfio_msix_table_hit(const struct vfio_pci *p, unsigned bar, uint64_t off, unsigned size)
{
	const struct vfio_msix *m = &p->msix;

	return m->cap && bar == m->table_bar && off + size > m->table_off &&
	       off < m->table_off + (uint64_t)m->nvec * MSIX_ENTRY_SIZE;
}

bool vfio_msix_pba_hit(const struct vfio_pci *p, unsigned bar, uint64_t off, unsigned size)
{
	const struct vfio_msix *m = &p->msix;

	return m->cap && bar == m->pba_bar && off + size > m->pba_off &&
	       off < m->pba_off + msix_pba_size(m->nvec);
}

uint64_t vfio_msix_table_read(struct vfio_pci *p, uint64_t off, unsigned size)
{
	uint64_t v;

	/* Offsets come from a trap that may start before the table. */
	pthread_mutex_lock(&p->lock);
	v = msix_table_read(&p->msix.table, off, size);
	pthread_mutex_unlock(&p->lock);
	return v;
}

void vfio_msix_table_write(struct vfio_pci *p, uint64_t off, unsigned size, uint64_t value)
{
	struct vfio_msix *m = &p->msix;
	unsigned first, last;

	pthread_mutex_lock(&p->lock);
	if (msix_table_write(&m->table, off, size, value, &first, &last))
		for (unsigned i = first; i <= last && m->table.enabled; i++)
			update(p, i);
	pthread_mutex_unlock(&p->lock);
}

uint64_t vfio_msix_pba_read(struct vfio_pci *p, uint64_t off, unsigned size)
{
	struct vfio_msix *m = &p->msix;
	uint64_t len = msix_pba_size(m->nvec), v = 0;

	if (size > 8 || off > len || size > len - off)
		return ~0ULL;
	if (vfio_dev_read(&p->dev, m->pba_bar, m->pba_off + off, &v, size) < 0)
		v = 0;
	pthread_mutex_lock(&p->lock);
	for (unsigned b = 0; b < 8 * size; b++) {
		uint64_t i = 8 * off + b;

		if (i < m->nvec && i < m->hw_count && m->table.enabled && msi_vector_pending(&m->vec[i]))
			v |= 1ULL << b;
	}
	pthread_mutex_unlock(&p->lock);
	return v;
}

void vfio_msix_stop(struct vfio_pci *p)
{
	if (p->msix.cap && p->msix.table.enabled)
		stop_locked(p);
}

void vfio_msix_reset(struct vfio_pci *p)
{
	struct vfio_msix *m = &p->msix;

	if (!m->cap)
		return;
	stop_locked(p);
	p->pci.cfg[m->cap + PCI_MSIX_FLAGS + 1] &= (uint8_t)~CONTROL_HI;
	msix_table_reset(&m->table);
}

void vfio_msix_free(struct vfio_pci *p)
{
	msi_vectors_close(p->msix.vec, p->msix.nvec);
	free(p->msix.vec);
	msix_table_free(&p->msix.table);
	p->msix.vec = NULL;
}
