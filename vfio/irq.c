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
#include <linux/kvm.h>

#include "core/kvm.h"
#include "core/vm.h"
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

static int irqfd(struct vm *vm, int fd, uint32_t gsi, bool assign)
{
	struct kvm_irqfd k = {
		.fd = (uint32_t)fd,
		.gsi = gsi,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	if (ioctl(vm->vm_fd, KVM_IRQFD, &k) < 0)
		return -errno;
	return 0;
}

/* Give V a route to its current message (a new GSI the first time). */
static int route(struct vfio_pci *p, struct vfio_vector *v)
{
	struct vm *vm = p->vm;
	int r = 0;

	if (v->gsi && v->routed_addr == v->addr && v->routed_data == v->data)
		return 0;
	pthread_mutex_lock(p->routing_lock);
	if (!v->gsi)
		r = kvm_routing_add_msi(vm, v->addr, v->data, &v->gsi);
	else
		r = kvm_routing_update_msi(vm, v->gsi, v->addr, v->data);
	/* KVM swaps the whole table under RCU: an irqfd on V's GSI fires
	 * through the old route or the new one, never through none. */
	if (r == 0)
		r = kvm_routing_commit(vm);
	pthread_mutex_unlock(p->routing_lock);
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

	if (p->vm->vm_fd < 0)
		return -ENODEV;
	if (!live) {
		if (v->irqfd) {
			r = irqfd(p->vm, v->efd, v->gsi, false);
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
	r = irqfd(p->vm, v->efd, v->gsi, true);
	if (r < 0)
		return r;
	v->irqfd = true;
	if (waited)
		(void)!write(v->efd, &(uint64_t){ 1 }, sizeof(uint64_t));
	return 0;
}

void vfio_vector_forget(struct vfio_vector *v)
{
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
