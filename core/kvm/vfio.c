// SPDX-License-Identifier: GPL-2.0-only
/*
 * The KVM-VFIO pseudo device. KVM uses it to know which groups a VM
 * reaches: whether a device can do non-coherent DMA (then the guest's
 * WBINVD must really flush, and memory types are honoured), and for
 * interrupt bypass where the hardware has it.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "core/kvm/kvm.h"

int kvm_vfio_device_create(struct kvm *k)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };

	if (k->vm_fd < 0)
		return -ENODEV;
	if (ioctl(k->vm_fd, KVM_CREATE_DEVICE, &cd) < 0)
		return -errno;
	return (int)cd.fd;
}

int kvm_vfio_add_group(int kvm_vfio_fd, int group_fd)
{
	int32_t fd = group_fd;
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_GROUP,
		.attr = KVM_DEV_VFIO_GROUP_ADD,
		.addr = (uint64_t)(uintptr_t)&fd,
	};

	if (ioctl(kvm_vfio_fd, KVM_SET_DEVICE_ATTR, &attr) < 0)
		return -errno;
	return 0;
}
