// SPDX-License-Identifier: GPL-2.0-only
/*
 * The KVM-VFIO pseudo device. KVM uses it to know which groups a VM
 * reaches: whether a device can do non-coherent DMA (then the guest's
 * WBINVD must really flush, and memory types are honoured), and for
 * interrupt bypass where the hardware has it.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "vfio/internal.h"

int vfio_kvm_device_create(int vm_fd, struct vfio_backend *b)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
	int r;

	if (ioctl(vm_fd, KVM_CREATE_DEVICE, &cd) < 0)
		return -errno;
	r = b->ops->kvm_register(b, (int)cd.fd);
	if (r < 0) {
		close((int)cd.fd);
		return r;
	}
	return (int)cd.fd;
}
