// SPDX-License-Identifier: GPL-2.0-only
/*
 * One MSI or MSI-X vector on its way from the device to the guest:
 * vfio-pci signals the vector's eventfd; a KVM irqfd on that eventfd
 * raises GSI, whose MSI route carries the guest's address and data. The
 * VMM is not on the path. Masking removes the irqfd, so interrupts wait
 * in the eventfd's counter (the pending bit); unmasking puts it back and
 * delivers what waited.
 */
#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/kvm/kvm.h"
#include "core/vm/vm.h"
#include "vfio/internal.h"

int vfio_vectors_open(struct vfio_vector *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		v[i].efd = -1;
	for (unsigned i = 0; i < n; i++) {
		v[i].efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (v[i].efd < 0)
			return -errno;
	}
	return 0;
}

void vfio_vectors_close(struct vfio_vector *v, unsigned n)
{
	for (unsigned i = 0; v && i < n; i++) {
		if (v[i].efd >= 0)
			close(v[i].efd);
		v[i].efd = -1;
	}
}

/* Give V a route to its current message (a new GSI the first time). */
static int route(struct vfio_pci *p, struct vfio_vector *v)
{
	struct kvm *k = &p->vm->kvm;
	int r;

	if (v->gsi && v->routed_addr == v->addr && v->routed_data == v->data)
		return 0;
	if (!v->gsi)
		r = kvm_msi_route_add(k, v->addr, v->data, &v->gsi);
	else
		r = kvm_msi_route_update(k, v->gsi, v->addr, v->data);
	if (r == 0) {
		v->routed_addr = v->addr;
		v->routed_data = v->data;
	}
	return r;
}

int vfio_vector_update(struct vfio_pci *p, struct vfio_vector *v, bool live)
{
	uint64_t count = 0;
	bool waited;
	int r;

	if (!kvm_vm_exists(&p->vm->kvm))
		return -ENODEV;
	if (!live) {
		if (v->irqfd) {
			r = kvm_irqfd_deassign(&p->vm->kvm, v->efd, v->gsi);
			if (r < 0)
				return r;
			v->irqfd = false;
		}
		return 0;
	}
	r = route(p, v);
	if (r < 0 || v->irqfd)
		return r;
	/* What arrived while masked was pending: collect it, attach the
	 * irqfd, and hand it over as one interrupt. */
	waited = read(v->efd, &count, sizeof(count)) == sizeof(count) && count;
	r = kvm_irqfd_assign(&p->vm->kvm, v->efd, v->gsi, -1);
	if (r < 0)
		return r;
	v->irqfd = true;
	if (waited)
		(void)!write(v->efd, &(uint64_t){ 1 }, sizeof(uint64_t));
	return 0;
}

void vfio_vector_release(struct vfio_pci *p, struct vfio_vector *v)
{
	struct kvm *k = &p->vm->kvm;

	if (v->irqfd)
		(void)kvm_irqfd_deassign(k, v->efd, v->gsi);
	if (v->gsi)
		(void)kvm_msi_route_remove(k, v->gsi);
	v->gsi = 0;
	v->irqfd = false;
	v->routed_addr = 0;
	v->routed_data = 0;
}

bool vfio_vector_pending(const struct vfio_vector *v)
{
	struct pollfd pfd = { .fd = v->efd, .events = POLLIN };

	return !v->irqfd && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}
