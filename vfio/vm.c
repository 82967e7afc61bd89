// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VM component (vfio.h): at start, take the devices (host.c), open
 * them through the IOMMU backend, map all guest RAM for DMA, build their
 * device models; every boot, the KVM-VFIO device and per-device KVM state;
 * at exit, the reverse, and the devices go back to the host.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/log.h"
#include "core/util/sandbox.h"
#include "core/kvm/kvm.h"
#include "core/vm/resources.h"
#include "core/vm/vm.h"
#include "vfio/internal.h"
#include "core/vm/device.h"
#include "vfio/vfio.h"

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* All guest RAM, at IOVA = guest-physical address: the guest's drivers
 * program the device with guest-physical addresses. Pinning is the slow
 * part of a start (every page of anonymous memory is faulted in), so it
 * runs in a thread while the guest boots: a device cannot DMA before the
 * guest sets Bus Master Enable (PCI 3.0 6.2.2), and config.c holds that
 * write back until the map is done (dma_ready). */
static int map_ram(struct vfio *v)
{
	struct vm *vm = v->vm;
	const struct mem_layout *l = &vm->mem.layout;
	struct timespec t0;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < l->nregions; i++) {
		const struct mem_region *m = &l->regions[i];

		r = v->backend->ops->map_dma(v->backend, m->gpa, m->size,
					     vm->mem.host + m->host_offset);
		if (r < 0) {
			log_error_errno(r, "vfio: cannot map %llu MiB of guest RAM at 0x%llx for device "
				       "DMA: %m; use memory-backing = hugetlb, or raise the locked-memory "
				       "limit (ulimit -l, LimitMEMLOCK=) to the guest's memory size",
				       (unsigned long long)(m->size >> 20), (unsigned long long)m->gpa);
			return r == -ENODEV ? -ENXIO : r;
		}
	}
	log_info("vfio: %llu MiB of guest RAM (%s) mapped for DMA in %.1f ms",
		 (unsigned long long)(l->ram_size >> 20), resources_backing_name(vm->mem.backing), ms_since(&t0));
	return 0;
}

static void log_devices(struct vfio *v)
{
	for (size_t i = 0; i < v->ndevs; i++) {
		struct vfio_entry *e = &v->devs[i];
		struct iommu_device d;
		char who[300];

		if (vfio_host_read(v, e->bdf, &d, who, sizeof(who)) < 0)
			d.reset_methods[0] = '\0';
		if (e->pci->dev.flags & VFIO_DEVICE_FLAGS_RESET)
			log_info("vfio %s: guest slot %02x.%u; reset methods: %s; expansion ROM: %s", who,
				 e->pci->pci.slot, e->pci->pci.fn,
				 d.reset_methods[0] ? d.reset_methods : "(kernel's choice)", e->pci->rom.state);
		else
			log_info("vfio %s: guest slot %02x.%u; no reset method: the device keeps its "
				 "state between boots; expansion ROM: %s", who, e->pci->pci.slot, e->pci->pci.fn,
				 e->pci->rom.state);
		/* A GPU's firmware driver (GOP) is in its ROM: without it the
		 * screen stays dark until the guest's own driver loads. */
		if (e->pci->rom.unusable)
			log_warning("vfio %s: the guest gets no expansion ROM (%s); if its firmware needs it "
				 "(a GPU's), give the image with rom = FILE", who, e->pci->rom.state);
	}
}

/* Stop the VM if it has started; before that, vfio_attach refuses. */
static void stop_if_booted(struct vm *vm)
{
	bool booted;

	pthread_mutex_lock(&vm->lock);
	booted = vm->boots > 0;
	pthread_mutex_unlock(&vm->lock);
	if (booted)
		vm_request_stop(vm, VM_STOP_ERROR, 1);
}

static void *map_thread(void *arg)
{
	struct vfio *v = arg;
	int r;

	/* Named before its filter, so that a SIGSYS line names it. */
	pthread_setname_np(pthread_self(), "dma-map");
	r = sandbox_enter(&v->vm->sandbox, SANDBOX_DMA);

	if (r < 0)
		log_error_errno(r, "vfio: cannot enter the DMA map thread's seccomp filter: %m");
	else
		r = map_ram(v);

	/* Only now, so that a start that fails says one line. */
	if (r == 0)
		log_devices(v);

	pthread_mutex_lock(&v->map_lock);
	v->map_result = r;
	v->map_done = true;
	pthread_cond_broadcast(&v->map_cond);
	pthread_mutex_unlock(&v->map_lock);
	if (r < 0)
		stop_if_booted(v->vm);
	return NULL;
}

/* A guest enables bus mastering (vCPU thread): wait for the map. */
static int dma_ready(void *opaque)
{
	struct vfio *v = opaque;
	int r;

	pthread_mutex_lock(&v->map_lock);
	while (!v->map_done)
		pthread_cond_wait(&v->map_cond, &v->map_lock);
	r = v->map_result;
	pthread_mutex_unlock(&v->map_lock);
	if (r < 0)
		vm_request_stop(v->vm, VM_STOP_ERROR, 1);
	return r;
}

/* The DMA map pins guest RAM against the memlock limit, which only root
 * may exceed: it ends before partvm gives root up. */
int vfio_privileged_done(struct device *d)
{
	struct vfio *v = d->priv;

	return v && v->map_started ? dma_ready(v) : 0;
}

/* Open E through the backend and plug its model into the guest's bus at
 * SLOT, function FN (SLOT -1: function 0 of the first free slot). */
static int open_device(struct vfio *v, struct vfio_entry *e, int slot, unsigned fn)
{
	struct iommu_group_info gi;
	char who[300], err[512];
	int r;

	r = iommu_query_device(&v->host, e->bdf, &gi);
	if (r < 0 || gi.group < 0) {
		vfio_host_explain_open(v, e, r < 0 ? r : -ENXIO);
		return -ENXIO;
	}
	r = v->backend->ops->open_device(v->backend, e->bdf, gi.vfio_path);
	if (r < 0) {
		vfio_host_explain_open(v, e, r);
		return r == -ENODEV || r == -ENOENT ? -ENXIO : r;
	}
	e->pci = NULL;
	r = vfio_pci_create(v->vm, r, e->bdf, slot, fn, e->rom, e->rom_off, &e->pci, err, sizeof(err));
	if (r < 0) {
		vfio_host_label(v, e->bdf, who, sizeof(who));
		log_error("%s: %s", who, err);
		return r == -ENODEV ? -ENXIO : r;
	}
	e->pci->dma_ready = dma_ready;
	e->pci->dma_opaque = v;
	return 0;
}

/* Functions of one host device go into one guest slot (place.c), function
 * 0 first so that the slot is there for the others. */
static int open_devices(struct vfio *v)
{
	_cleanup_free_ const char **bdfs = calloc(v->ndevs, sizeof(*bdfs));
	_cleanup_free_ bool *alone = calloc(v->ndevs, sizeof(*alone));
	_cleanup_free_ struct vfio_place *place = calloc(v->ndevs, sizeof(*place));
	_cleanup_free_ int *guest_slot = calloc(v->ndevs, sizeof(*guest_slot));
	int r;

	if (!v->ndevs)
		return 0;
	if (!bdfs || !alone || !place || !guest_slot)
		return log_error_errno(-ENOMEM, "vfio: %m");
	for (size_t i = 0; i < v->ndevs; i++) {
		bdfs[i] = v->devs[i].bdf;
		/* Which VF a pool hands out varies from start to start; the
		 * guest's slots must not vary with it. */
		alone[i] = v->devs[i].pool;
	}
	r = vfio_place_devices(bdfs, alone, v->ndevs, place);
	if (r < 0)
		return log_error_errno(r, "vfio: cannot place the devices on the guest's PCI bus: %m");
	for (size_t k = 0; k < v->ndevs; k++) {
		const struct vfio_place *pl = &place[k];
		struct vfio_entry *e = &v->devs[pl->dev];

		r = open_device(v, e, pl->fn ? guest_slot[pl->slot] : -1, pl->fn);
		if (r < 0)
			return r;
		if (!pl->fn)
			guest_slot[pl->slot] = (int)e->pci->pci.slot;
	}
	return 0;
}

int vfio_create(struct device *d, struct loop *loop)
{
	struct vm *vm = d->vm;
	const struct vm_config *cfg = vm->cfg;
	struct vfio *v;
	int r;

	v = calloc(1, sizeof(*v));
	if (!v)
		return log_error_errno(-ENOMEM, "vfio: %m");
	d->priv = v;
	v->vm = vm;
	v->kvm_fd = -1;
	pthread_mutex_init(&v->map_lock, NULL);
	pthread_cond_init(&v->map_cond, NULL);
	r = iommu_host_init(&v->host);
	if (r < 0)
		return log_error_errno(r, "vfio: %m");

	r = vfio_host_claim(v, cfg);
	if (r < 0)
		return r;
	r = vfio_container_new(v->host.root, &v->backend);
	if (r < 0)
		return log_error_errno(r == -ENODEV ? -ENXIO : r,
				       "vfio: cannot open %s/dev/vfio/vfio: %m (is vfio-pci loaded?)",
				       v->host.root);
	/* Groups first (the IOMMU model is set when the first joins), then
	 * the device models, then the one DMA map every group shares. */
	r = open_devices(v);
	if (r < 0)
		return r;
	/* From now on a reset must keep the pages: the IOMMU maps them. */
	vm->mem.pinned = true;
	r = -pthread_create(&v->map_thread, NULL, map_thread, v);
	if (r < 0)
		return log_error_errno(r, "vfio: cannot start mapping guest RAM for DMA: %m");
	v->map_started = true;
	return 0;
}

int vfio_attach(struct device *d)
{
	struct vm *vm = d->vm;
	struct vfio *v = d->priv;
	int r;

	if (!v)
		return 0;
	pthread_mutex_lock(&v->map_lock);
	r = v->map_done ? v->map_result : 0;
	pthread_mutex_unlock(&v->map_lock);
	if (r < 0)
		return r;   /* map_ram said why */
	v->kvm_fd = kvm_vfio_device_create(&vm->kvm);
	if (v->kvm_fd < 0)
		return log_error_errno(v->kvm_fd, "vfio: cannot create the KVM-VFIO device: %m");
	r = v->backend->ops->kvm_register(v->backend, v->kvm_fd);
	if (r < 0)
		return log_error_errno(r, "vfio: cannot add the VFIO groups to the KVM-VFIO device: %m");
	for (size_t i = 0; i < v->ndevs; i++) {
		r = vfio_pci_attach(v->devs[i].pci);
		if (r < 0)
			return log_error_errno(r, "vfio %s: cannot connect its interrupts and BARs to the "
					       "VM: %m", v->devs[i].bdf);
	}
	return 0;
}

static void detach(struct vfio *v)
{

	if (!v)
		return;
	for (size_t i = 0; i < v->ndevs; i++)
		if (v->devs[i].pci)
			vfio_pci_detach(v->devs[i].pci);
	if (v->kvm_fd >= 0)
		close(v->kvm_fd);
	v->kvm_fd = -1;
}

void vfio_detach(struct device *d)
{
	detach(d->priv);
}

void vfio_free(struct device *d)
{
	struct vfio *v = d->priv;

	if (!v)
		return;
	if (v->map_started)
		pthread_join(v->map_thread, NULL);
	detach(v);
	for (size_t i = 0; i < v->ndevs; i++) {
		struct vfio_pci *p = v->devs[i].pci;

		if (!p)
			continue;
		/* The guest is gone: nothing of it stays in the device. */
		(void)vfio_dev_reset(&p->dev);
		vfio_pci_free(p);
		v->devs[i].pci = NULL;
	}
	/* Closing the container drops the DMA mappings; the devices must be
	 * closed before vfio-pci can let go of them. */
	if (v->backend)
		v->backend->ops->free(v->backend);
	v->backend = NULL;
	vfio_host_release(v);
	pthread_mutex_destroy(&v->map_lock);
	pthread_cond_destroy(&v->map_cond);
	free(v->devs);
	free(v->allocs);
	free(v);
	d->priv = NULL;
}
