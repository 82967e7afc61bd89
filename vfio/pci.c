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

static const char *size_text(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;

	while (v >= 1024 && !(v % 1024) && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)v, units[u]);
	return buf;
}

/* "BAR0 16 KiB, BAR2 8 GiB 64-bit": what did not fit, for the message. */
static void describe_bars(const struct vfio_pci *p, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i <= PCI_ROM_BAR && used < len; i++) {
		const struct pci_bar *b = &p->pci.bars[i];
		char s[32];

		if (b->type == PCI_BAR_NONE)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s%u %s%s", used ? ", " : "",
					 i == PCI_ROM_BAR ? "ROM" : "BAR", i == PCI_ROM_BAR ? 0 : i,
					 size_text(b->size, s, sizeof(s)),
					 b->type == PCI_BAR_MEM64 ? " 64-bit" :
					 b->type == PCI_BAR_IO ? " I/O" : "");
	}
}

int vfio_pci_create(struct vm *vm, int fd, const char *bdf,
		    const char *rom_path, struct vfio_pci **out, char *err, size_t errlen)
{
	struct vfio_pci *p = calloc(1, sizeof(*p));
	char bars[256], w32[32], w64[32];
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
		r = vfio_rom_init(p, rom_path, err, errlen);
	if (r == 0 && (r = vfio_intx_init(p)) < 0)
		snprintf(err, errlen, "cannot create its INTx eventfds: %s", strerror(-r));
	if (r < 0)
		goto fail;

	p->pci.ops = &vfio_pci_ops;
	p->pci.opaque = p;
	r = pci_host_add_device(vm->pci, &p->pci, -1, p->intx.pin);
	if (r == -ENOSPC) {
		describe_bars(p, bars, sizeof(bars));
		snprintf(err, errlen,
			 "its BARs (%s) do not fit in the guest's MMIO windows (32-bit: %s at 0x%llx, "
			 "64-bit: %s at 0x%llx), or no PCI slot is free",
			 bars, size_text(vm->pci->mmio32_end - vm->pci->mmio32_next, w32, sizeof(w32)),
			 (unsigned long long)vm->pci->mmio32_next,
			 size_text(vm->pci->mmio64_end - vm->pci->mmio64_next, w64, sizeof(w64)),
			 (unsigned long long)vm->pci->mmio64_next);
		goto fail;
	}
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
