/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VFIO passthrough: host PCI devices (and SR-IOV VFs from pools) driven by
 * the guest's own drivers. BARs are mapped into the guest as KVM memory
 * slots, guest RAM is mapped into the IOMMU for DMA, and interrupts reach
 * the guest through KVM irqfds without a trip through partvm.
 *
 * One device type (core/vm/device.h) for all of a partition's [vfio] and
 * [sriov "NAME"] sections:
 *   create  bind managed devices and take pool VFs (iommu/, sriov/), open
 *           them through the IOMMU backend, map guest RAM for DMA, reset
 *           the devices and plug their models into the PCI bus
 *   attach  every boot: the KVM-VFIO device, INTx irqfds, memory slots
 *   detach  every boot: interrupts off on the devices
 *   free    close everything, give managed devices back to their drivers
 *           and pool VFs back to their pools
 * create and attach log their own one-line errors, naming the device.
 */
#ifndef PARTVM_VFIO_H
#define PARTVM_VFIO_H

#include <stdbool.h>
#include <stddef.h>

#include "sriov/sriov.h"

struct device_type;
struct vm_config;

extern const struct device_type vfio_device_type;

/* A host PCI device passed through: a [vfio] section or --vfio. */
struct vfio_conf_device {
	char bdf[16];           /* canonical DDDD:BB:DD.F; "" until the section names it */
	bool managed;           /* bind to vfio-pci at start, restore at exit (default) */
	char *rom;              /* expansion ROM image, or NULL for the device's own */
	bool rom_off;           /* rom = off: the guest gets no expansion ROM */
	int line;               /* of the section's header; 0 for --vfio */
};

struct vfio_conf {
	struct vfio_conf_device *devs;    /* [vfio] sections and --vfio, in order */
	size_t ndevs;
	struct sriov_pool_requests pools; /* [sriov "NAME"] sections */
	bool in_vfio;                     /* parsing: the current section is [vfio] */
};

/* CFG's passthrough (empty when it has none). */
const struct vfio_conf *vfio_conf(const struct vm_config *cfg);

#endif
