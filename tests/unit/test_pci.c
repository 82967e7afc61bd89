// SPDX-License-Identifier: GPL-2.0-only
/* PCI config space through ECAM and CF8/CFC, as the guest reaches them
 * through the buses: both paths agree, BARs size like hardware, moves and
 * enables reach the device, and malformed accesses are contained. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/vm/layout.h"
#include "core/vm/pci.h"
#include "core/vm/vm.h"

static struct vm vm;
static struct pci_device dev;

struct map_event {
	unsigned index;
	uint64_t addr;
	bool enable;
};
static struct map_event events[32];
static unsigned nevents;

static int record_bar_map(struct pci_device *d, unsigned index, uint64_t addr, bool enable)
{
	if (nevents < 32)
		events[nevents++] = (struct map_event){ index, addr, enable };
	return 0;
}

static const struct pci_device_ops test_ops = { .bar_map = record_bar_map };

static uint32_t ecam_rd(unsigned slot, unsigned off, unsigned size)
{
	uint64_t v = 0;

	assert_true(bus_read(&vm.mmio, LAYOUT_ECAM_START + (slot << 15) + off, size, &v));
	return (uint32_t)v;
}

static void ecam_wr(unsigned slot, unsigned off, unsigned size, uint32_t v)
{
	assert_true(bus_write(&vm.mmio, LAYOUT_ECAM_START + (slot << 15) + off, size, v));
}

static uint32_t cf8_rd(unsigned slot, unsigned off, unsigned size)
{
	uint64_t v = 0;

	bus_write(&vm.pio, 0xcf8, 4, 0x80000000U | (slot << 11) | (off & 0xfc));
	assert_true(bus_read(&vm.pio, 0xcfc + (off & 3), size, &v));
	return (uint32_t)v;
}

static void cf8_wr(unsigned slot, unsigned off, unsigned size, uint32_t v)
{
	bus_write(&vm.pio, 0xcf8, 4, 0x80000000U | (slot << 11) | (off & 0xfc));
	bus_write(&vm.pio, 0xcfc + (off & 3), size, v);
}

static int setup(void **state)
{
	memset(&vm, 0, sizeof(vm));
	kvm_init(&vm.kvm);
	pthread_mutex_init(&vm.lock, NULL);
	if (bus_init(&vm.pio, "pio") || bus_init(&vm.mmio, "mmio"))
		return -1;
	if (memory_layout_init(&vm.mem.layout, 1ULL << 30))
		return -1;
	if (pci_host_init(&vm))
		return -1;
	pci_device_init(&dev, "test", 0x1234, 0x11e8, 0x00ff00, 0x10);
	dev.ops = &test_ops;
	if (pci_device_add_bar(&dev, 0, PCI_BAR_MEM32, 4096, false) ||
	    pci_device_add_bar(&dev, 1, PCI_BAR_IO, 32, false) ||
	    pci_device_add_bar(&dev, 2, PCI_BAR_MEM64, 8ULL << 30, true) ||
	    pci_device_add_bar(&dev, PCI_ROM_BAR, PCI_BAR_ROM, 64 * 1024, false))
		return -1;
	if (pci_host_add_device(vm.pci, &dev, 3, 1))
		return -1;
	nevents = 0;
	return 0;
}

static int teardown(void **state)
{
	pci_host_exit(&vm);
	bus_destroy(&vm.pio);
	bus_destroy(&vm.mmio);
	return 0;
}

static void test_host_bridge(void **state)
{
	assert_int_equal(ecam_rd(0, PCI_VENDOR_ID, 2), 0x1b36);
	assert_int_equal(ecam_rd(0, PCI_DEVICE_ID, 2), 0x0008);
	assert_int_equal(ecam_rd(0, PCI_CLASS_DEVICE, 2), 0x0600);
	assert_int_equal(cf8_rd(0, PCI_VENDOR_ID, 4), 0x00081b36);
	/* Nothing at an empty slot or at function 1: master abort. */
	assert_int_equal(ecam_rd(7, 0, 4), 0xffffffff);
	assert_int_equal(cf8_rd(7, 0, 4), 0xffffffff);
	{
		uint64_t v;

		assert_true(bus_read(&vm.mmio, LAYOUT_ECAM_START + (3 << 15) + (1 << 12), 4, &v));
		assert_int_equal((uint32_t)v, 0xffffffff);
	}
}

/* Every dword, word and byte of the device's first 256 bytes reads the
 * same through ECAM and CF8/CFC. */
static void test_paths_agree(void **state)
{
	for (unsigned off = 0; off < 256; off += 4)
		assert_int_equal(ecam_rd(3, off, 4), cf8_rd(3, off, 4));
	for (unsigned off = 0; off < 256; off += 2)
		assert_int_equal(ecam_rd(3, off, 2), cf8_rd(3, off, 2));
	for (unsigned off = 0; off < 64; off++)
		assert_int_equal(ecam_rd(3, off, 1), cf8_rd(3, off, 1));
	/* A write through one path is seen through the other. */
	cf8_wr(3, PCI_INTERRUPT_LINE, 1, 0x2a);
	assert_int_equal(ecam_rd(3, PCI_INTERRUPT_LINE, 1), 0x2a);
	ecam_wr(3, PCI_LATENCY_TIMER, 1, 0x40);
	assert_int_equal(cf8_rd(3, PCI_LATENCY_TIMER, 1), 0x40);
	/* Read-only fields stay put. */
	cf8_wr(3, PCI_VENDOR_ID, 4, 0xdeadbeef);
	assert_int_equal(ecam_rd(3, PCI_VENDOR_ID, 4), 0x11e81234);
}

static void test_assigned_bars(void **state)
{
	uint32_t bar0 = ecam_rd(3, PCI_BASE_ADDRESS_0, 4);
	uint32_t bar1 = ecam_rd(3, PCI_BASE_ADDRESS_1, 4);
	uint64_t bar2 = ecam_rd(3, PCI_BASE_ADDRESS_2, 4) |
			(uint64_t)ecam_rd(3, PCI_BASE_ADDRESS_3, 4) << 32;

	/* Firmware-style assignment inside the windows, naturally aligned. */
	assert_true((bar0 & ~0xfU) >= LAYOUT_MMIO32_START &&
		    (bar0 & ~0xfU) < LAYOUT_MMIO32_START + LAYOUT_MMIO32_SIZE);
	assert_int_equal(bar0 & 0xf, 0);
	assert_int_equal(bar1 & PCI_BASE_ADDRESS_SPACE, PCI_BASE_ADDRESS_SPACE_IO);
	assert_true((bar1 & ~3U) >= PCI_IO_WINDOW_START);
	assert_int_equal(bar2 & 0xf, PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	assert_true((bar2 & ~0xfULL) >= vm.mem.layout.mmio64_base);
	assert_int_equal((bar2 & ~0xfULL) % (8ULL << 30), 0);
	/* The interrupt pin routes through the _PRT's GSI. */
	assert_int_equal(ecam_rd(3, PCI_INTERRUPT_PIN, 1), 1);
	assert_int_equal(dev.intx_gsi, pci_intx_gsi(3, 1));
	/* Decoding is off until the guest turns it on. */
	assert_int_equal(nevents, 0);
}

static void test_bar_sizing(void **state)
{
	uint32_t saved = cf8_rd(3, PCI_BASE_ADDRESS_0, 4);

	cf8_wr(3, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	assert_int_equal(ecam_rd(3, PCI_BASE_ADDRESS_0, 4), 0xfffff000);
	cf8_wr(3, PCI_BASE_ADDRESS_0, 4, saved);
	assert_int_equal(ecam_rd(3, PCI_BASE_ADDRESS_0, 4), saved);

	/* I/O BAR: 32 ports, bit 0 set. */
	ecam_wr(3, PCI_BASE_ADDRESS_1, 4, 0xffffffff);
	assert_int_equal(cf8_rd(3, PCI_BASE_ADDRESS_1, 4), 0xffffffe1);

	/* 64-bit 8 GiB prefetchable BAR: both halves size. */
	ecam_wr(3, PCI_BASE_ADDRESS_2, 4, 0xffffffff);
	ecam_wr(3, PCI_BASE_ADDRESS_3, 4, 0xffffffff);
	assert_int_equal(cf8_rd(3, PCI_BASE_ADDRESS_2, 4), 0x0000000c);
	assert_int_equal(cf8_rd(3, PCI_BASE_ADDRESS_3, 4), 0xfffffffe);

	/* Expansion ROM: 64 KiB, enable bit writable. */
	ecam_wr(3, PCI_ROM_ADDRESS, 4, 0xffffffff);
	assert_int_equal(ecam_rd(3, PCI_ROM_ADDRESS, 4), 0xffff0001);

	/* Unimplemented BARs read zero whatever is written. */
	ecam_wr(3, PCI_BASE_ADDRESS_4 + 4, 4, 0xffffffff);
	assert_int_equal(ecam_rd(3, PCI_BASE_ADDRESS_5, 4), 0);
	/* Sizing with decoding off maps nothing. */
	assert_int_equal(nevents, 0);
}

static void test_bar_enable_and_move(void **state)
{
	uint32_t bar0 = ecam_rd(3, PCI_BASE_ADDRESS_0, 4);

	ecam_wr(3, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	/* BAR0 and the 64-bit BAR2 map; the ROM waits for its enable bit. */
	assert_int_equal(nevents, 2);
	assert_int_equal(events[0].enable, true);
	for (unsigned i = 0; i < nevents; i++)
		assert_true(events[i].index == 0 || events[i].index == 2);

	nevents = 0;
	ecam_wr(3, PCI_BASE_ADDRESS_0, 4, 0xd0000000);
	assert_int_equal(nevents, 2);
	assert_true(!events[0].enable && events[0].index == 0 && events[0].addr == bar0);
	assert_true(events[1].enable && events[1].index == 0 && events[1].addr == 0xd0000000);

	/* Sizing a live BAR unmaps it (all-ones is not an address). */
	nevents = 0;
	ecam_wr(3, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	assert_int_equal(nevents, 1);
	assert_false(events[0].enable);
	ecam_wr(3, PCI_BASE_ADDRESS_0, 4, 0xd0000000);
	assert_int_equal(nevents, 2);

	/* I/O decoding maps the I/O BAR; turning both off unmaps all. */
	nevents = 0;
	ecam_wr(3, PCI_BASE_ADDRESS_1, 4, 0xc100);
	ecam_wr(3, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	assert_int_equal(nevents, 1);
	assert_true(events[0].index == 1 && events[0].addr == 0xc100 && events[0].enable);
	nevents = 0;
	ecam_wr(3, PCI_COMMAND, 2, 0);
	assert_int_equal(nevents, 3);
	for (unsigned i = 0; i < nevents; i++)
		assert_false(events[i].enable);
}

static void test_bad_accesses(void **state)
{
	uint64_t v;

	/* Unaligned and 8-byte config accesses are dropped / read all-ones. */
	assert_true(bus_read(&vm.mmio, LAYOUT_ECAM_START + (3 << 15) + 1, 2, &v));
	assert_int_equal(v & 0xffff, 0xffff);
	assert_true(bus_read(&vm.mmio, LAYOUT_ECAM_START + (3 << 15), 8, &v));
	assert_true(v == ~0ULL);
	ecam_wr(3, PCI_INTERRUPT_LINE - 1, 2, 0x1234);   /* unaligned: ignored */
	assert_int_equal(ecam_rd(3, PCI_INTERRUPT_LINE, 1), pci_intx_gsi(3, 1));
	/* Extended config space is there through ECAM only. */
	assert_int_equal(ecam_rd(3, 0xffc, 4), 0);
	/* CF8 with the enable bit clear reads nothing. */
	bus_write(&vm.pio, 0xcf8, 4, 3 << 11);
	assert_true(bus_read(&vm.pio, 0xcfc, 4, &v));
	assert_true(v == 0xffffffffffffffffULL);
	/* A data access that crosses the dword is not a config cycle. */
	bus_write(&vm.pio, 0xcf8, 4, 0x80000000U | (3 << 11));
	assert_true(bus_read(&vm.pio, 0xcfe, 4, &v) == false || v == 0xffffffffffffffffULL);
	/* Bus 1 does not exist. */
	bus_write(&vm.pio, 0xcf8, 4, 0x80010000U);
	assert_true(bus_read(&vm.pio, 0xcfc, 4, &v));
	assert_true(v == 0xffffffffffffffffULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_bridge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paths_agree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assigned_bars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_sizing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_enable_and_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_accesses, setup, teardown),
	};
	return cmocka_run_group_tests_name("pci", tests, NULL, NULL);
}
