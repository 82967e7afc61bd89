// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioeventfd: a guest write to a doorbell (a virtqueue notification)
 * signals an eventfd inside KVM, with no exit to userspace; the device's
 * thread waits on the eventfd.
 *
 * An MMIO doorbell of length 0 (any write size, KVM_CAP_IOEVENTFD_ANY_LENGTH)
 * also goes on KVM's fast MMIO bus: on Intel, a write to it is signalled
 * from the EPT misconfiguration exit without decoding the instruction,
 * while one of a given length is emulated first like any MMIO write
 * (QEMU registers its virtio doorbells the same way). On AMD both are
 * emulated.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "core/kvm/kvm.h"

static int ioeventfd(struct kvm *k, int fd, uint64_t addr, unsigned len, bool pio, bool assign)
{
	struct kvm_ioeventfd e = {
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = (pio ? KVM_IOEVENTFD_FLAG_PIO : 0) |
			 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	if (k->vm_fd < 0)
		return -ENODEV;
	if (len != 0 && len != 1 && len != 2 && len != 4 && len != 8)
		return -EINVAL;
	if (ioctl(k->vm_fd, KVM_IOEVENTFD, &e) < 0)
		return -errno;
	return 0;
}

int kvm_ioeventfd_assign(struct kvm *k, int fd, uint64_t addr, unsigned len, bool pio)
{
	return ioeventfd(k, fd, addr, len, pio, true);
}

int kvm_ioeventfd_deassign(struct kvm *k, int fd, uint64_t addr, unsigned len, bool pio)
{
	return ioeventfd(k, fd, addr, len, pio, false);
}

unsigned kvm_doorbell_len(const struct kvm *k, unsigned len)
{
	return k->ioeventfd_any_length ? 0 : len;
}
