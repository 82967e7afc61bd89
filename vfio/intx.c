// SPDX-License-Identifier: GPL-2.0-only
/*
 * INTx, level-triggered, without partvm on the path: vfio-pci masks the
 * line when it fires and signals TRIGGER; a KVM irqfd with a resamplefd
 * holds the guest's IOAPIC pin (the DSDT's _PRT GSI for the slot) until
 * the guest's EOI, then signals UNMASK, on which vfio-pci unmasks the line
 * and, if the device still asserts it, fires again. The guest's INTx
 * disable bit in the command register reaches vfio-pci, which honours it.
 */
#include <errno.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/kvm/kvm.h"
#include "core/vm/vm.h"
#include "vfio/internal.h"

int vfio_intx_init(struct vfio_pci *p)
{
	p->intx.trigger = p->intx.unmask = -1;
	if (!p->intx.pin)
		return 0;
	p->intx.trigger = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->intx.unmask = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->intx.trigger < 0 || p->intx.unmask < 0)
		return -errno;
	return 0;
}

static int irqfd(struct vfio_pci *p, bool assign)
{
	struct kvm *k = &p->vm->kvm;

	if (assign)
		return kvm_irqfd_assign(k, p->intx.trigger, p->pci.intx_gsi, p->intx.unmask);
	return kvm_irqfd_deassign(k, p->intx.trigger, p->pci.intx_gsi);
}

int vfio_intx_enable(struct vfio_pci *p)
{
	int r;

	if (!p->intx.pin || p->intx.on)
		return 0;
	if (!kvm_vm_exists(&p->vm->kvm))
		return -ENODEV;
	r = vfio_dev_set_irqs(&p->dev, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1,
			      &p->intx.trigger);
	if (r < 0)
		return r;
	r = vfio_dev_set_irqs(&p->dev, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 0, 1,
			      &p->intx.unmask);
	if (r == 0)
		r = irqfd(p, true);
	if (r < 0) {
		(void)vfio_dev_set_irqs(&p->dev, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0,
					0, NULL);
		return r;
	}
	p->intx.on = true;
	return 0;
}

void vfio_intx_disable(struct vfio_pci *p)
{
	if (!p->intx.on)
		return;
	/* Deassigning the last irqfd on the pin also lowers it. */
	if (kvm_vm_exists(&p->vm->kvm))
		(void)irqfd(p, false);
	(void)vfio_dev_set_irqs(&p->dev, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0,
				NULL);
	p->intx.on = false;
}

void vfio_intx_free(struct vfio_pci *p)
{
	if (p->intx.trigger >= 0)
		close(p->intx.trigger);
	if (p->intx.unmask >= 0)
		close(p->intx.unmask);
	p->intx.trigger = p->intx.unmask = -1;
}
