// SPDX-License-Identifier: GPL-2.0-only
// LDFLAGS: -Wl,--wrap=ioctl
/*
 * How BARs are cut and placed: sparse-mmap areas become memory slots and
 * the gaps trap to the device; I/O BARs and BARs below a page trap whole;
 * an 8 GiB 64-bit BAR fits the guest's 64-bit window, naturally aligned,
 * and a BAR that does not fit is refused with its size and the window.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "vfio_fake.h"

static void test_sparse_areas(void **state)
{
	struct vfio_pci *p;
	const struct vfio_bar *b;
	uint64_t base, v;
	uint32_t dev = 0x11223344;

	fake_init();
	fake_bar(0, 0x10000, 0, true);
	/* vfio-pci lets two areas be mmap'ed; the middle traps. */
	fake.r[0].nareas = 2;
	fake.r[0].areas[0] = (struct vfio_region_sparse_mmap_area){ .offset = 0, .size = 0x4000 };
	fake.r[0].areas[1] = (struct vfio_region_sparse_mmap_area){ .offset = 0x8000, .size = 0x8000 };
	p = fake_create(NULL);
	b = &p->bars[0];
	assert_int_equal(b->npieces, 2);
	assert_int_equal(b->pieces[0].off, 0);
	assert_int_equal(b->pieces[0].len, 0x4000);
	assert_int_equal(b->pieces[1].off, 0x8000);
	assert_int_equal(b->pieces[1].len, 0x8000);
	assert_int_equal(b->ntraps, 1);
	assert_int_equal(b->traps[0].off, 0x4000);
	assert_int_equal(b->traps[0].len, 0x4000);

	assert_int_equal(vfio_pci_attach(p), 0);
	guest_cfg_write(p, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	base = guest_cfg_read(p, PCI_BASE_ADDRESS_0, 4) & PCI_BASE_ADDRESS_MEM_MASK;
	assert_int_equal(fake.slots[b->pieces[1].slot].guest_phys_addr, base + 0x8000);
	/* The trapped middle reaches the device's region. */
	assert_int_equal(pwrite(fake.dev_fd, &dev, 4, (off_t)(FAKE_OFF(0) + 0x5000)), 4);
	assert_true(guest_mmio_read(base + 0x5000, 4, &v));
	assert_int_equal(v, 0x11223344);
	guest_mmio_write(base + 0x5004, 2, 0xbeef);
	assert_int_equal(pread(fake.dev_fd, &dev, 4, (off_t)(FAKE_OFF(0) + 0x5004)), 4);
	assert_int_equal(dev & 0xffff, 0xbeef);
	fake_fini(p);
}

static void test_io_and_small_bars_trap(void **state)
{
	struct vfio_pci *p;
	uint64_t v, io, mem;
	uint32_t dev = 0xa5;

	fake_init();
	fake_bar(0, 256, 0, true);                           /* below a page */
	fake_bar(1, 32, PCI_BASE_ADDRESS_SPACE_IO, false);
	p = fake_create(NULL);
	assert_int_equal(p->bars[0].npieces, 0);
	assert_int_equal(p->bars[0].ntraps, 1);
	assert_int_equal(p->bars[1].ntraps, 1);
	assert_int_equal(vfio_pci_attach(p), 0);
	guest_cfg_write(p, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	mem = guest_cfg_read(p, PCI_BASE_ADDRESS_0, 4) & PCI_BASE_ADDRESS_MEM_MASK;
	io = guest_cfg_read(p, PCI_BASE_ADDRESS_1, 4) & PCI_BASE_ADDRESS_IO_MASK;
	assert_true(io >= PCI_IO_WINDOW_START && io < PCI_IO_WINDOW_END);
	assert_int_equal(pwrite(fake.dev_fd, &dev, 1, (off_t)(FAKE_OFF(1) + 3)), 1);
	assert_true(bus_read(&vm.pio, io + 3, 1, &v));
	assert_int_equal(v, 0xa5);
	assert_true(bus_write(&vm.pio, io + 4, 2, 0x1234));
	assert_int_equal(pread(fake.dev_fd, &dev, 2, (off_t)(FAKE_OFF(1) + 4)), 2);
	assert_int_equal(dev & 0xffff, 0x1234);
	/* Past the end of the 32 bytes nothing decodes. */
	assert_false(bus_read(&vm.pio, io + 32, 1, &v));
	assert_true(guest_mmio_read(mem + 252, 4, &v));
	fake_fini(p);
}

static void test_8g_bar_fits(void **state)
{
	struct vfio_pci *p;
	uint64_t lo, hi, addr;

	fake_init();
	fake_bar(2, 8ULL << 30, PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH, false);
	p = fake_create(NULL);
	lo = guest_cfg_read(p, PCI_BASE_ADDRESS_2, 4);
	hi = guest_cfg_read(p, PCI_BASE_ADDRESS_3, 4);
	addr = (hi << 32) | (lo & PCI_BASE_ADDRESS_MEM_MASK);
	assert_true(addr >= vm.mem.layout.mmio64_base);
	assert_true(addr + (8ULL << 30) <= vm.mem.layout.mmio64_base + vm.mem.layout.mmio64_size);
	assert_int_equal(addr % (8ULL << 30), 0);
	/* Sizing reads the 8 GiB mask across both halves. */
	guest_cfg_write(p, PCI_BASE_ADDRESS_2, 4, 0xffffffff);
	guest_cfg_write(p, PCI_BASE_ADDRESS_3, 4, 0xffffffff);
	assert_int_equal(guest_cfg_read(p, PCI_BASE_ADDRESS_2, 4) & PCI_BASE_ADDRESS_MEM_MASK, 0);
	assert_int_equal(guest_cfg_read(p, PCI_BASE_ADDRESS_3, 4), 0xfffffffe);
	fake_fini(p);
}

static void test_bar_too_big(void **state)
{
	struct vfio_pci *p = NULL;
	char err[512] = "";
	int r;

	fake_init();
	/* A host CPU with 39 physical address bits (512 GiB): the 64-bit
	 * window runs from 64 GiB to there, too little for two 256 GiB BARs. */
	pci_host_exit(&vm);
	bus_destroy(&vm.pio);
	bus_destroy(&vm.mmio);
	assert_int_equal(bus_init(&vm.pio, "pio"), 0);
	assert_int_equal(bus_init(&vm.mmio, "mmio"), 0);
	vm.kvm.supported_cpuid = calloc(1, sizeof(struct kvm_cpuid2) + sizeof(struct kvm_cpuid_entry2));
	assert_non_null(vm.kvm.supported_cpuid);
	vm.kvm.supported_cpuid->nent = 1;
	vm.kvm.supported_cpuid->entries[0] = (struct kvm_cpuid_entry2){ .function = 0x80000008,
									 .eax = 0x3027 };
	assert_int_equal(pci_host_init(&vm), 0);
	fake_bar(0, 16384, 0, false);
	fake_bar(2, 256ULL << 30, PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH, false);
	fake_bar(4, 256ULL << 30, PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH, false);
	fake.model_fd = dup(fake.dev_fd);
	r = vfio_pci_create(&vm, fake.model_fd, "0000:00:03.0", -1, 0, NULL, false, &p, err,
			    sizeof(err));
	assert_int_equal(r, -ENOSPC);
	assert_null(p);
	assert_non_null(strstr(err, "BAR0 16 KiB, BAR2 256 GiB 64-bit, BAR4 256 GiB 64-bit"));
	assert_non_null(strstr(err, "64-bit: 0 bytes free at 0x8000000000, up to 0x8000000000 (39 "
				    "physical address bits)"));
	/* Nothing of it stays on the bus. */
	for (unsigned s = 1; s < PCI_MAX_SLOTS; s++)
		for (unsigned fn = 0; fn < PCI_MAX_FUNCTIONS; fn++)
			assert_null(vm.pci->slots[s][fn]);
	fake_fini(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sparse_areas),
		cmocka_unit_test(test_io_and_small_bars_trap),
		cmocka_unit_test(test_8g_bar_fits),
		cmocka_unit_test(test_bar_too_big),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
