// SPDX-License-Identifier: GPL-2.0-only
/*
 * The PCI device model of a passed-through device, registered on partvm's
 * PCI bus like any device: config space (config.c), BARs (bar.c), ROM
 * (rom.c), MSI/MSI-X (msi.c, msix.c) and INTx (intx.c) put together, and
 * its life across guest boots.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/vm/vm.h"
#include "vfio/internal.h"

static void pci_reset(struct pci_device *d)
{
	struct vfio_pci *p = (struct vfio_pci *)d;

	/* The guest rebooted: the device starts over, as on a bus reset. */
	vfio_config_reset(p);
	(void)vfio_dev_reset(&p->dev);
}

static const struct pci_device_ops vfio_pci_ops = {
	.config_read = vfio_config_read,
	.config_write = vfio_config_write,
	.bar_map = vfio_bar_map,
	.reset = pci_reset,
};

int vfio_pci_create(struct vm *vm, int fd, const char *bdf, int slot, unsigned fn,
		    const char *rom_path, bool rom_off, struct vfio_pci **out, char *err, size_t errlen)
{
	struct vfio_pci *p = calloc(1, sizeof(*p));
	int r;

	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	p->vm = vm;
	pthread_mutex_init(&p->lock, NULL);
	ratelimit_init(&p->rl, 10, 5);
	p->intx.trigger = p->intx.unmask = -1;
	for (unsigned i = 0; i < 32; i++)
		p->msi.vec[i].efd = -1;
	r = vfio_dev_setup(&p->dev, fd, bdf);
	if (r < 0) {
		snprintf(err, errlen, "cannot read its regions and interrupts from vfio-pci: %s",
			 strerror(-r));
		goto fail;
	}
	/* Start from a clean device: whatever the host or a previous guest
	 * left in it is gone. */
	(void)vfio_dev_reset(&p->dev);
	r = vfio_config_init(p, err, errlen);
	if (r == 0)
		r = vfio_bars_init(p, err, errlen);
	if (r == 0)
		r = vfio_rom_init(p, rom_path, rom_off, err, errlen);
	if (r == 0 && (r = vfio_intx_init(p)) < 0)
		snprintf(err, errlen, "cannot create its INTx eventfds: %s", strerror(-r));
	if (r < 0)
		goto fail;

	p->pci.ops = &vfio_pci_ops;
	p->pci.opaque = p;
	r = pci_host_add_function(vm->pci, &p->pci, slot, fn, p->intx.pin);
	if (pci_host_explain_refusal(vm->pci, &p->pci, r, err, errlen))
		goto fail;
	if (r < 0) {
		snprintf(err, errlen, "cannot plug it into the guest's PCI bus: %s", strerror(-r));
		goto fail;
	}
	*out = p;
	return 0;
fail:
	vfio_pci_free(p);
	return r;
}

void vfio_pci_free(struct vfio_pci *p)
{
	if (!p)
		return;
	if (p->pci.host)
		pci_host_remove_device(p->pci.host, &p->pci);
	pthread_mutex_lock(&p->lock);
	vfio_msi_stop(p);
	vfio_msix_stop(p);
	vfio_intx_disable(p);
	pthread_mutex_unlock(&p->lock);
	vfio_bars_free(p);
	vfio_rom_free(p);
	vfio_msix_free(p);
	msi_vectors_close(p->msi.vec, 32);
	vfio_intx_free(p);
	vfio_dev_close(&p->dev);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->rl.lock);
	free(p);
}

int vfio_pci_attach(struct vfio_pci *p)
{
	int r;

	r = vfio_bars_attach(p);
	if (r < 0)
		return r;
	pthread_mutex_lock(&p->lock);
	r = vfio_intx_enable(p);
	pthread_mutex_unlock(&p->lock);
	return r;
}

void vfio_pci_detach(struct vfio_pci *p)
{
	/* The VM fd (routes, irqfds, memory slots) goes after this; the
	 * device stops interrupting into it. */
	pthread_mutex_lock(&p->lock);
	vfio_msi_stop(p);
	vfio_msix_stop(p);
	vfio_intx_disable(p);
	pthread_mutex_unlock(&p->lock);
	vfio_bars_detach(p);
}
