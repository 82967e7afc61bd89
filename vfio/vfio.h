/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VFIO passthrough: host PCI devices (and SR-IOV VFs from pools) driven by
 * the guest's own drivers. BARs are mapped into the guest as KVM memory
 * slots, guest RAM is mapped into the IOMMU for DMA, and interrupts reach
 * the guest through KVM irqfds without a trip through partvm.
 *
 * The VM's component table (core/vm.c) calls these hooks:
 *   init    bind managed devices and take pool VFs (iommu/, sriov/), open
 *           them through the IOMMU backend, map guest RAM for DMA, reset
 *           the devices and plug their models into the PCI bus
 *   attach  every boot: the KVM-VFIO device, INTx irqfds, memory slots
 *   detach  every boot: interrupts off on the devices
 *   exit    close everything, give managed devices back to their drivers
 *           and pool VFs back to their pools
 * init and attach log their own one-line errors, naming the device.
 */
#ifndef PARTVM_VFIO_H
#define PARTVM_VFIO_H

struct vm;

int vfio_init(struct vm *vm);
int vfio_attach(struct vm *vm);
void vfio_detach(struct vm *vm);
void vfio_exit(struct vm *vm);

#endif
