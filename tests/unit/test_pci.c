// SPDX-License-Identifier: GPL-2.0-only
/* PCI config space through ECAM and CF8/CFC, as the guest reaches them
 * through the buses: both paths agree, BARs size like hardware, moves and
 * enables reach the device, and malformed accesses are contained. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kvm.h>

#include "tests/unit/pci_bus.h"

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

static int setup(void **state)
{
	if (pci_bus_setup(&vm))
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
	pci_bus_teardown(&vm);
	return 0;
}

static void test_host_bridge(void **state)
{
	assert_int_equal(ecam_rd(&vm, 0, 0, PCI_VENDOR_ID, 2), 0x1b36);
	assert_int_equal(ecam_rd(&vm, 0, 0, PCI_DEVICE_ID, 2), 0x0008);
	assert_int_equal(ecam_rd(&vm, 0, 0, PCI_CLASS_DEVICE, 2), 0x0600);
	assert_int_equal(cf8_rd(&vm, 0, 0, PCI_VENDOR_ID, 4), 0x00081b36);
	/* Nothing at an empty slot or at function 1: master abort. */
	assert_int_equal(ecam_rd(&vm, 7, 0, 0, 4), 0xffffffff);
	assert_int_equal(cf8_rd(&vm, 7, 0, 0, 4), 0xffffffff);
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
		assert_int_equal(ecam_rd(&vm, 3, 0, off, 4), cf8_rd(&vm, 3, 0, off, 4));
	for (unsigned off = 0; off < 256; off += 2)
		assert_int_equal(ecam_rd(&vm, 3, 0, off, 2), cf8_rd(&vm, 3, 0, off, 2));
	for (unsigned off = 0; off < 64; off++)
		assert_int_equal(ecam_rd(&vm, 3, 0, off, 1), cf8_rd(&vm, 3, 0, off, 1));
	/* A write through one path is seen through the other. */
	cf8_wr(&vm, 3, 0, PCI_INTERRUPT_LINE, 1, 0x2a);
	assert_int_equal(ecam_rd(&vm, 3, 0, PCI_INTERRUPT_LINE, 1), 0x2a);
	ecam_wr(&vm, 3, 0, PCI_LATENCY_TIMER, 1, 0x40);
	assert_int_equal(cf8_rd(&vm, 3, 0, PCI_LATENCY_TIMER, 1), 0x40);
	/* Read-only fields stay put. */
	cf8_wr(&vm, 3, 0, PCI_VENDOR_ID, 4, 0xdeadbeef);
	assert_int_equal(ecam_rd(&vm, 3, 0, PCI_VENDOR_ID, 4), 0x11e81234);
}

static void test_assigned_bars(void **state)
{
	uint32_t bar0 = ecam_rd(&vm, 3, 0, PCI_BASE_ADDRESS_0, 4);
	uint32_t bar1 = ecam_rd(&vm, 3, 0, PCI_BASE_ADDRESS_1, 4);
	uint64_t bar2 = ecam_rd(&vm, 3, 0, PCI_BASE_ADDRESS_2, 4) |
			(uint64_t)ecam_rd(&vm, 3, 0, PCI_BASE_ADDRESS_3, 4) << 32;

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
	assert_int_equal(ecam_rd(&vm, 3, 0, PCI_INTERRUPT_PIN, 1), 1);
	assert_int_equal(dev.intx_gsi, pci_intx_gsi(3, 1));
	/* Decoding is off until the guest turns it on. */
	assert_int_equal(nevents, 0);
}

static void test_bar_sizing(void **state)
{
	uint32_t saved = cf8_rd(&vm, 3, 0, PCI_BASE_ADDRESS_0, 4);

	cf8_wr(&vm, 3, 0, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	assert_int_equal(ecam_rd(&vm, 3, 0, PCI_BASE_ADDRESS_0, 4), 0xfffff000);
	cf8_wr(&vm, 3, 0, PCI_BASE_ADDRESS_0, 4, saved);
	assert_int_equal(ecam_rd(&vm, 3, 0, PCI_BASE_ADDRESS_0, 4), saved);

	/* I/O BAR: 32 ports, bit 0 set. */
	ecam_wr(&vm, 3, 0, PCI_BASE_ADDRESS_1, 4, 0xffffffff);
	assert_int_equal(cf8_rd(&vm, 3, 0, PCI_BASE_ADDRESS_1, 4), 0xffffffe1);

	/* 64-bit 8 GiB prefetchable BAR: both halves size. */
	ecam_wr(&vm, 3, 0, PCI_BASE_ADDRESS_2, 4, 0xffffffff);
	ecam_wr(&vm, 3, 0, PCI_BASE_ADDRESS_3, 4, 0xffffffff);
	assert_int_equal(cf8_rd(&vm, 3, 0, PCI_BASE_ADDRESS_2, 4), 0x0000000c);
	assert_int_equal(cf8_rd(&vm, 3, 0, PCI_BASE_ADDRESS_3, 4), 0xfffffffe);

	/* Expansion ROM: 64 KiB, enable bit writable. */
	ecam_wr(&vm, 3, 0, PCI_ROM_ADDRESS, 4, 0xffffffff);
	assert_int_equal(ecam_rd(&vm, 3, 0, PCI_ROM_ADDRESS, 4), 0xffff0001);

	/* Unimplemented BARs read zero whatever is written. */
	ecam_wr(&vm, 3, 0, PCI_BASE_ADDRESS_4 + 4, 4, 0xffffffff);
	assert_int_equal(ecam_rd(&vm, 3, 0, PCI_BASE_ADDRESS_5, 4), 0);
	/* Sizing with decoding off maps nothing. */
	assert_int_equal(nevents, 0);
}

static void test_bar_enable_and_move(void **state)
{
	uint32_t bar0 = ecam_rd(&vm, 3, 0, PCI_BASE_ADDRESS_0, 4);

	ecam_wr(&vm, 3, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	/* BAR0 and the 64-bit BAR2 map; the ROM waits for its enable bit. */
	assert_int_equal(nevents, 2);
	assert_int_equal(events[0].enable, true);
	for (unsigned i = 0; i < nevents; i++)
		assert_true(events[i].index == 0 || events[i].index == 2);

	nevents = 0;
	ecam_wr(&vm, 3, 0, PCI_BASE_ADDRESS_0, 4, 0xd0000000);
	assert_int_equal(nevents, 2);
	assert_true(!events[0].enable && events[0].index == 0 && events[0].addr == bar0);
	assert_true(events[1].enable && events[1].index == 0 && events[1].addr == 0xd0000000);

	/* Sizing a live BAR unmaps it (all-ones is not an address). */
	nevents = 0;
	ecam_wr(&vm, 3, 0, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	assert_int_equal(nevents, 1);
	assert_false(events[0].enable);
	ecam_wr(&vm, 3, 0, PCI_BASE_ADDRESS_0, 4, 0xd0000000);
	assert_int_equal(nevents, 2);

	/* I/O decoding maps the I/O BAR; turning both off unmaps all. */
	nevents = 0;
	ecam_wr(&vm, 3, 0, PCI_BASE_ADDRESS_1, 4, 0xc100);
	ecam_wr(&vm, 3, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	assert_int_equal(nevents, 1);
	assert_true(events[0].index == 1 && events[0].addr == 0xc100 && events[0].enable);
	nevents = 0;
	ecam_wr(&vm, 3, 0, PCI_COMMAND, 2, 0);
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
	ecam_wr(&vm, 3, 0, PCI_INTERRUPT_LINE - 1, 2, 0x1234);   /* unaligned: ignored */
	assert_int_equal(ecam_rd(&vm, 3, 0, PCI_INTERRUPT_LINE, 1), pci_intx_gsi(3, 1));
	/* Extended config space is there through ECAM only. */
	assert_int_equal(ecam_rd(&vm, 3, 0, 0xffc, 4), 0);
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

static struct pci_device big, more;

/* BAR2 of D, as the guest reads it back. */
static uint64_t bar2_of(unsigned slot)
{
	return (ecam_rd(&vm, slot, 0, PCI_BASE_ADDRESS_2, 4) |
		(uint64_t)ecam_rd(&vm, slot, 0, PCI_BASE_ADDRESS_3, 4) << 32) & ~0xfULL;
}

static void add_big(struct pci_device *d, uint64_t size, int slot, int expect)
{
	pci_device_init(d, "big", 0x10de, 0x2204, 0x030000, 0xa1);
	d->ops = &test_ops;
	assert_int_equal(pci_device_add_bar(d, 0, PCI_BAR_MEM32, 16 << 20, false), 0);
	assert_int_equal(pci_device_add_bar(d, 2, PCI_BAR_MEM64, size, true), 0);
	assert_int_equal(pci_host_add_device(vm.pci, d, slot, 1), expect);
}

/* The 64-bit window takes what the BARs need: a GPU's 128 GiB BAR fits,
 * naturally aligned, and the window the ACPI tables declare grows to
 * cover it with room to spare. */
static void test_mmio64_window_grows(void **state)
{
	struct mem_layout *l = &vm.mem.layout;

	assert_int_equal(l->mmio64_base, 64ULL << 30);
	pci_host_size_mmio64(&vm);
	assert_int_equal(l->mmio64_size, LAYOUT_MMIO64_SIZE);   /* 8 GiB: the minimum */

	add_big(&big, 128ULL << 30, 4, 0);
	assert_int_equal(bar2_of(4), 128ULL << 30);
	pci_host_size_mmio64(&vm);
	/* 64 + 8 GiB, then 128 GiB at 128 GiB: 192 GiB used, 512 GiB declared. */
	assert_int_equal(l->mmio64_size, 512ULL << 30);
	assert_true(bar2_of(4) + (128ULL << 30) <= l->mmio64_base + l->mmio64_size);
	pci_host_remove_device(vm.pci, &big);
}

/* No BAR beyond the guest's physical address bits: the host CPU's (from
 * KVM's CPUID) bound the window, and what does not fit is refused with
 * the numbers a user needs. */
static void test_mmio64_phys_bits(void **state)
{
	struct mem_layout *l = &vm.mem.layout;
	struct kvm_cpuid2 *t = calloc(1, sizeof(*t) + sizeof(t->entries[0]));
	char text[512];

	assert_non_null(t);
	t->nent = 1;
	t->entries[0].function = 0x80000008;
	t->entries[0].eax = 0x3026;           /* 48 virtual, 38 physical bits: 256 GiB */
	pci_host_exit(&vm);
	bus_destroy(&vm.pio);
	bus_destroy(&vm.mmio);
	assert_int_equal(bus_init(&vm.pio, "pio"), 0);
	assert_int_equal(bus_init(&vm.mmio, "mmio"), 0);
	vm.kvm.supported_cpuid = t;
	assert_int_equal(kvm_phys_bits(&vm.kvm), 38);
	assert_int_equal(pci_host_init(&vm), 0);
	assert_int_equal(pci_host_add_device(vm.pci, &dev, 3, 1), 0);

	add_big(&big, 128ULL << 30, 4, 0);      /* 128-256 GiB: the last that fits */
	assert_int_equal(bar2_of(4), 128ULL << 30);
	add_big(&more, 64ULL << 30, 5, -ENOSPC);
	assert_true(pci_host_explain_refusal(vm.pci, &more, -ENOSPC, text, sizeof(text)));
	assert_string_equal(text, "its BARs (BAR0 16 MiB, BAR2 64 GiB 64-bit) do not fit in the "
			    "guest's MMIO windows (32-bit: 1504 MiB free at 0x82000000; 64-bit: 0 "
			    "bytes free at 0x4000000000, up to 0x4000000000 (38 physical address "
			    "bits))");
	assert_true(pci_host_explain_refusal(vm.pci, &more, -EBUSY, text, sizeof(text)));
	assert_string_equal(text, "no PCI slot is free for it (a guest has 31)");
	assert_false(pci_host_explain_refusal(vm.pci, &more, -EINVAL, text, sizeof(text)));
	/* The window stops where the address bits do. */
	pci_host_size_mmio64(&vm);
	assert_int_equal(l->mmio64_base + l->mmio64_size, 256ULL << 30);

	/* Without the leaf, the SDM's 36 bits; before KVM is open, 48. */
	t->entries[0].function = 0x80000001;
	assert_int_equal(kvm_phys_bits(&vm.kvm), 36);
	vm.kvm.supported_cpuid = NULL;
	free(t);
	assert_int_equal(kvm_phys_bits(&vm.kvm), 48);
}

/* A CPU with 35 physical address bits (32 GiB; 36 bits, 64 GiB, is no
 * better): no room at 64 GiB, the first multiple of the window's size, so
 * the window starts at the first GiB above RAM; a 64-bit BAR the window
 * cannot hold goes below 4 GiB, as firmware puts it. Before, every 64-bit
 * BAR was refused ("0 bytes free at 0x1000000000"), a VF's 16 KiB too. */
static void test_mmio64_few_phys_bits(void **state)
{
	struct mem_layout *l = &vm.mem.layout;
	struct kvm_cpuid2 *t = calloc(1, sizeof(*t) + sizeof(t->entries[0]));
	uint64_t low;

	assert_non_null(t);
	t->nent = 1;
	t->entries[0].function = 0x80000008;
	t->entries[0].eax = 0x3023;           /* 48 virtual, 35 physical bits */
	pci_bus_teardown(&vm);
	assert_int_equal(bus_init(&vm.pio, "pio"), 0);
	assert_int_equal(bus_init(&vm.mmio, "mmio"), 0);
	vm.kvm.supported_cpuid = t;
	assert_int_equal(pci_host_init(&vm), 0);
	assert_int_equal(l->mmio64_base, 4ULL << 30);
	assert_int_equal(pci_host_add_device(vm.pci, &dev, 3, 1), 0);
	assert_int_equal(bar2_of(3), 8ULL << 30);           /* 8 GiB, aligned */
	add_big(&big, 16ULL << 30, 4, 0);
	assert_int_equal(bar2_of(4), 16ULL << 30);          /* 16-32 GiB: the last that fits */
	add_big(&more, 256ULL << 20, 5, 0);
	low = bar2_of(5);
	assert_true(low >= LAYOUT_MMIO32_START && low + (256ULL << 20) <= LAYOUT_MMIO32_START + LAYOUT_MMIO32_SIZE);
	assert_int_equal(low % (256ULL << 20), 0);
	assert_int_equal(ecam_rd(&vm, 5, 0, PCI_BASE_ADDRESS_2, 4) & 0xf, PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	pci_host_size_mmio64(&vm);
	assert_int_equal(l->mmio64_base + l->mmio64_size, 32ULL << 30);
	pci_host_remove_device(vm.pci, &more);
	pci_host_remove_device(vm.pci, &big);

	/* 38 bits leave room at 64 GiB: the window stays there. */
	t->entries[0].eax = 0x3026;
	pci_bus_teardown(&vm);
	assert_int_equal(bus_init(&vm.pio, "pio"), 0);
	assert_int_equal(bus_init(&vm.mmio, "mmio"), 0);
	assert_int_equal(memory_layout_init(l, 1ULL << 30, LAYOUT_DIRECT_BOOT), 0);
	assert_int_equal(pci_host_init(&vm), 0);
	assert_int_equal(l->mmio64_base, 64ULL << 30);
	vm.kvm.supported_cpuid = NULL;
	free(t);
}

/* Booting a firmware (edk2's CloudHv platform): the host bridge it looks
 * for, ECAM out of its 32-bit aperture, BARs in that aperture, and the
 * 64-bit window its size, not grown by partvm. */
static void test_firmware_platform(void **state)
{
	struct mem_layout *l = &vm.mem.layout;
	uint64_t v;

	pci_bus_teardown(&vm);
	memset(&vm, 0, sizeof(vm));
	kvm_init(&vm.kvm);
	assert_int_equal(bus_init(&vm.pio, "pio"), 0);
	assert_int_equal(bus_init(&vm.mmio, "mmio"), 0);
	assert_int_equal(memory_layout_init(l, 1ULL << 30, LAYOUT_FIRMWARE), 0);
	assert_int_equal(pci_host_init(&vm), 0);
	assert_int_equal(cf8_rd(&vm, 0, 0, PCI_VENDOR_ID, 4), 0x0d578086);
	assert_int_equal(ecam_rd(&vm, 0, 0, PCI_DEVICE_ID, 2), 0x0d57);
	assert_false(bus_read(&vm.mmio, LAYOUT_ECAM_START, 4, &v));
	assert_int_equal(pci_host_add_device(vm.pci, &dev, 3, 1), 0);
	v = cf8_rd(&vm, 3, 0, PCI_BASE_ADDRESS_0, 4) & ~0xfULL;
	assert_true(v >= 0xc0000000 && v + 4096 <= 0xfc000000);
	v = cf8_rd(&vm, 3, 0, PCI_BASE_ADDRESS_2, 4) & ~0xfULL;
	v |= (uint64_t)cf8_rd(&vm, 3, 0, PCI_BASE_ADDRESS_3, 4) << 32;
	assert_true(v == 32ULL << 30);
	pci_host_size_mmio64(&vm);
	assert_true(l->mmio64_base == 32ULL << 30 && l->mmio64_size == 32ULL << 30);
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
		cmocka_unit_test_setup_teardown(test_mmio64_window_grows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmio64_phys_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmio64_few_phys_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_firmware_platform, setup, teardown),
	};
	return cmocka_run_group_tests_name("pci", tests, NULL, NULL);
}
