/* SPDX-License-Identifier: GPL-2.0-only */
/* The KVM layer: the device, its capabilities, the VM fd, memory slots,
 * the in-kernel irqchip and GSI routing. */
#ifndef PARTVM_KVM_H
#define PARTVM_KVM_H

#include <stdint.h>

struct vm;

/* Open DEVICE (default /dev/kvm), check the API version and every
 * capability partvm uses. On failure logs one line naming what is missing
 * and returns -ENODEV (no usable KVM) or another negative errno. */
int kvm_open(struct vm *vm, const char *device);
/* Create the VM fd, the in-kernel irqchip and PIT, and the default GSI
 * routing; map guest RAM into memory slots. */
int kvm_create_vm(struct vm *vm);
/* Close the VM fd (and with it the irqchip, PIT and memory slots). */
void kvm_destroy_vm(struct vm *vm);

int kvm_set_memory_slot(struct vm *vm, unsigned slot, uint64_t gpa, uint64_t size, void *host);
/* A free slot number for a later mapping (VFIO BARs), or -ENOSPC. */
int kvm_alloc_memory_slot(struct vm *vm);

/* Let KVM queue guest writes to ports [PORT, PORT+LEN) instead of exiting
 * (a no-op without KVM_CAP_COALESCED_PIO). Only for registers whose writes
 * take effect when the next access, which does exit, needs them. */
int kvm_coalesce_pio(struct vm *vm, uint16_t port, uint32_t len);
/* Apply the queued writes, in order; called on every vCPU exit. */
void kvm_flush_coalesced(struct vm *vm);

/* GSI routing: the IOAPIC/PIC defaults plus MSI routes added at run time. */
int kvm_routing_add_msi(struct vm *vm, uint64_t addr, uint32_t data, uint32_t *gsi);
int kvm_routing_update_msi(struct vm *vm, uint32_t gsi, uint64_t addr, uint32_t data);
int kvm_routing_commit(struct vm *vm);

#endif
