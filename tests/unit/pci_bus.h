/* SPDX-License-Identifier: GPL-2.0-only */
/* The guest's PCI bus without KVM, for tests of config space: a struct vm
 * with its port and MMIO buses, a 1 GiB layout and the host bridge, and
 * config accesses as a guest makes them, through ECAM and CF8/CFC.
 * Header-only, for the tests that include it (cmocka first). */
#ifndef PARTVM_TEST_PCI_BUS_H
#define PARTVM_TEST_PCI_BUS_H

#include <string.h>

#include "core/vm/layout.h"
#include "core/vm/pci.h"
#include "core/vm/vm.h"

static inline int pci_bus_setup(struct vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	kvm_init(&vm->kvm);
	pthread_mutex_init(&vm->lock, NULL);
	if (bus_init(&vm->pio, "pio") || bus_init(&vm->mmio, "mmio"))
		return -1;
	if (memory_layout_init(&vm->mem.layout, 1ULL << 30, LAYOUT_DIRECT_BOOT))
		return -1;
	return pci_host_init(vm) ? -1 : 0;
}

static inline void pci_bus_teardown(struct vm *vm)
{
	pci_host_exit(vm);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
}

static inline uint32_t ecam_rd(struct vm *vm, unsigned slot, unsigned fn, unsigned off,
			       unsigned size)
{
	uint64_t v = 0;

	assert_true(bus_read(&vm->mmio, vm->mem.layout.ecam_base + (slot << 15) + (fn << 12) + off, size,
			     &v));
	return (uint32_t)v;
}

static inline void ecam_wr(struct vm *vm, unsigned slot, unsigned fn, unsigned off, unsigned size,
			   uint32_t v)
{
	assert_true(bus_write(&vm->mmio, vm->mem.layout.ecam_base + (slot << 15) + (fn << 12) + off, size,
			      v));
}

static inline uint32_t cf8_rd(struct vm *vm, unsigned slot, unsigned fn, unsigned off,
			      unsigned size)
{
	uint64_t v = 0;

	bus_write(&vm->pio, 0xcf8, 4, 0x80000000U | (slot << 11) | (fn << 8) | (off & 0xfc));
	assert_true(bus_read(&vm->pio, 0xcfc + (off & 3), size, &v));
	return (uint32_t)v;
}

static inline void cf8_wr(struct vm *vm, unsigned slot, unsigned fn, unsigned off, unsigned size,
			  uint32_t v)
{
	bus_write(&vm->pio, 0xcf8, 4, 0x80000000U | (slot << 11) | (fn << 8) | (off & 0xfc));
	bus_write(&vm->pio, 0xcfc + (off & 3), size, v);
}

#endif
