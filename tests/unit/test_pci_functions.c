// SPDX-License-Identifier: GPL-2.0-only
/* Multi-function slots on the guest's PCI bus, as the guest reaches them
 * through ECAM and CF8/CFC: function 1 answers beside function 0, absent
 * functions master-abort, Header Type bit 7 says whether the slot has more
 * than one function whatever the device's config space says, a function
 * without function 0 is refused, and removing it or resetting the bus
 * keeps all that true. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "tests/unit/pci_bus.h"

#define SLOT 5

static struct vm vm;
/* A GPU-like function 0, its audio function 1, and a spare. */
static struct pci_device gpu, audio, other;
static unsigned resets;

/* A passed-through device's view of Header Type: the host's, where a GPU
 * reports itself multi-function. */
static uint32_t host_config_read(struct pci_device *d, unsigned offset, unsigned size)
{
	uint32_t v = pci_config_read_emulated(d, offset, size);

	if (offset <= PCI_HEADER_TYPE && offset + size > PCI_HEADER_TYPE)
		v |= (uint32_t)PCI_HEADER_TYPE_MFD << (8 * (PCI_HEADER_TYPE - offset));
	return v;
}

static void count_reset(struct pci_device *d)
{
	resets++;
}

static const struct pci_device_ops host_ops = { .config_read = host_config_read,
						.reset = count_reset };
static const struct pci_device_ops emulated_ops = { .reset = count_reset };

static void make(struct pci_device *d, const char *name, uint16_t device, uint32_t class_code,
		 const struct pci_device_ops *ops)
{
	pci_device_init(d, name, 0x10de, device, class_code, 0xa1);
	d->ops = ops;
	assert_int_equal(pci_device_add_bar(d, 0, PCI_BAR_MEM32, 16384, false), 0);
	/* Something in the dword around Header Type that must survive. */
	d->cfg[PCI_CACHE_LINE_SIZE] = 0x10;
	d->cfg[PCI_BIST] = 0x00;
}

static int setup(void **state)
{
	if (pci_bus_setup(&vm))
		return -1;
	make(&gpu, "gpu", 0x2204, 0x030000, &emulated_ops);
	make(&audio, "audio", 0x1aef, 0x040300, &emulated_ops);
	make(&other, "other", 0x1234, 0xff0000, &emulated_ops);
	resets = 0;
	return 0;
}

static int teardown(void **state)
{
	pci_bus_teardown(&vm);
	return 0;
}

/* Bit 7 of Header Type of SLOT.FN is MFD in every access that covers byte
 * 0x0e, through both paths, and the bytes around it are the function's. */
static void assert_mfd(unsigned slot, unsigned fn, bool mfd, const struct pci_device *d)
{
	uint8_t ht = mfd ? PCI_HEADER_TYPE_MFD : 0;
	uint32_t dword = d->cfg[PCI_CACHE_LINE_SIZE] | (uint32_t)d->cfg[PCI_LATENCY_TIMER] << 8 |
			 (uint32_t)ht << 16 | (uint32_t)d->cfg[PCI_BIST] << 24;

	assert_int_equal(ecam_rd(&vm, slot, fn, PCI_HEADER_TYPE, 1), ht);
	assert_int_equal(cf8_rd(&vm, slot, fn, PCI_HEADER_TYPE, 1), ht);
	assert_int_equal(ecam_rd(&vm, slot, fn, PCI_HEADER_TYPE, 2), ht | (uint32_t)d->cfg[PCI_BIST] << 8);
	assert_int_equal(cf8_rd(&vm, slot, fn, PCI_HEADER_TYPE, 2), ht | (uint32_t)d->cfg[PCI_BIST] << 8);
	assert_int_equal(ecam_rd(&vm, slot, fn, PCI_CACHE_LINE_SIZE, 4), dword);
	assert_int_equal(cf8_rd(&vm, slot, fn, PCI_CACHE_LINE_SIZE, 4), dword);
	/* An access beside it is untouched. */
	assert_int_equal(ecam_rd(&vm, slot, fn, PCI_LATENCY_TIMER, 1), d->cfg[PCI_LATENCY_TIMER]);
	assert_int_equal(ecam_rd(&vm, slot, fn, PCI_CACHE_LINE_SIZE, 2),
			 d->cfg[PCI_CACHE_LINE_SIZE] | (uint32_t)d->cfg[PCI_LATENCY_TIMER] << 8);
}

/* A slot of one function: bit 7 clear, for an emulated device and for
 * one whose own config space (a GPU's, passed without its audio) has it
 * set. */
static void test_single_function_clear(void **state)
{
	assert_int_equal(pci_host_add_device(vm.pci, &gpu, SLOT, 1), 0);
	assert_int_equal(gpu.fn, 0);
	assert_mfd(SLOT, 0, false, &gpu);

	gpu.ops = &host_ops;
	assert_int_equal(host_config_read(&gpu, PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_MFD);
	assert_mfd(SLOT, 0, false, &gpu);
	/* The host bridge is a single function too. */
	assert_int_equal(ecam_rd(&vm, 0, 0, PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_NORMAL);
}

/* Function 1 beside function 0: bit 7 set in both, however function 0's
 * config space reads. */
static void test_two_functions_set(void **state)
{
	assert_int_equal(pci_host_add_device(vm.pci, &gpu, SLOT, 1), 0);
	assert_int_equal(pci_host_add_function(vm.pci, &audio, SLOT, 1, 2), 0);
	assert_int_equal(audio.slot, SLOT);
	assert_int_equal(audio.fn, 1);
	assert_mfd(SLOT, 0, true, &gpu);
	assert_mfd(SLOT, 1, true, &audio);
	gpu.ops = &host_ops;
	assert_mfd(SLOT, 0, true, &gpu);
	/* The register cannot be written. */
	ecam_wr(&vm, SLOT, 0, PCI_HEADER_TYPE, 1, 0);
	assert_mfd(SLOT, 0, true, &gpu);
}

/* Function 1 answers as itself through both paths; function 2 is absent
 * (all ones, whatever the access), and so are writes to it. */
static void test_function_reached(void **state)
{
	uint32_t bar_gpu, bar_audio;

	assert_int_equal(pci_host_add_device(vm.pci, &gpu, SLOT, 1), 0);
	assert_int_equal(pci_host_add_function(vm.pci, &audio, SLOT, 1, 2), 0);

	assert_int_equal(ecam_rd(&vm, SLOT, 0, PCI_VENDOR_ID, 4), 0x220410de);
	assert_int_equal(ecam_rd(&vm, SLOT, 1, PCI_VENDOR_ID, 4), 0x1aef10de);
	assert_int_equal(cf8_rd(&vm, SLOT, 1, PCI_VENDOR_ID, 4), 0x1aef10de);
	assert_int_equal(cf8_rd(&vm, SLOT, 1, PCI_CLASS_DEVICE, 2), 0x0403);
	for (unsigned fn = 2; fn < PCI_MAX_FUNCTIONS; fn++) {
		assert_int_equal(ecam_rd(&vm, SLOT, fn, PCI_VENDOR_ID, 4), 0xffffffff);
		assert_int_equal(cf8_rd(&vm, SLOT, fn, PCI_VENDOR_ID, 4), 0xffffffff);
		assert_int_equal(ecam_rd(&vm, SLOT, fn, PCI_VENDOR_ID, 2), 0xffff);
		assert_int_equal(cf8_rd(&vm, SLOT, fn, PCI_HEADER_TYPE, 1), 0xff);
	}

	/* Each function has its own BARs, in the window, apart. */
	bar_gpu = ecam_rd(&vm, SLOT, 0, PCI_BASE_ADDRESS_0, 4) & ~0xfU;
	bar_audio = ecam_rd(&vm, SLOT, 1, PCI_BASE_ADDRESS_0, 4) & ~0xfU;
	assert_true(bar_gpu >= LAYOUT_MMIO32_START && bar_audio >= LAYOUT_MMIO32_START);
	assert_true(bar_gpu + 16384 <= bar_audio || bar_audio + 16384 <= bar_gpu);

	/* A write reaches the function it names only. */
	ecam_wr(&vm, SLOT, 1, PCI_INTERRUPT_LINE, 1, 0x2a);
	ecam_wr(&vm, SLOT, 2, PCI_INTERRUPT_LINE, 1, 0x33);
	assert_int_equal(cf8_rd(&vm, SLOT, 1, PCI_INTERRUPT_LINE, 1), 0x2a);
	assert_int_equal(cf8_rd(&vm, SLOT, 0, PCI_INTERRUPT_LINE, 1), pci_intx_gsi(SLOT, 1));

	/* INTx: the slot's _PRT entries, by pin. */
	assert_int_equal(ecam_rd(&vm, SLOT, 1, PCI_INTERRUPT_PIN, 1), 2);
	assert_int_equal(audio.intx_gsi, pci_intx_gsi(SLOT, 2));
	assert_int_equal(gpu.intx_gsi, pci_intx_gsi(SLOT, 1));
}

/* A function other than 0 where there is no function 0 would never be
 * seen: refused, with a reason, and the bus unchanged. So are a function
 * that is taken and out-of-range numbers. */
static void test_refusals(void **state)
{
	char text[256];

	assert_int_equal(pci_host_add_function(vm.pci, &audio, SLOT, 1, 2), -EADDRNOTAVAIL);
	assert_true(pci_host_explain_refusal(vm.pci, &audio, -EADDRNOTAVAIL, text, sizeof(text)));
	assert_string_equal(text, "guest slot 05 has no function 0, and a guest looks for function 1 "
			    "only beside one");
	assert_int_equal(ecam_rd(&vm, SLOT, 1, PCI_VENDOR_ID, 4), 0xffffffff);
	assert_int_equal(ecam_rd(&vm, SLOT, 0, PCI_VENDOR_ID, 4), 0xffffffff);
	/* The slot is still free: the next device takes it in its turn. */
	for (unsigned s = 1; s < SLOT; s++) {
		static struct pci_device fillers[SLOT];

		pci_device_init(&fillers[s], "filler", 0x1234, 0x5678, 0xff0000, 0);
		assert_int_equal(pci_host_add_device(vm.pci, &fillers[s], (int)s, 0), 0);
	}
	assert_int_equal(pci_host_add_device(vm.pci, &gpu, -1, 1), 0);
	assert_int_equal(gpu.slot, SLOT);

	assert_int_equal(pci_host_add_function(vm.pci, &audio, SLOT, 1, 2), 0);
	assert_int_equal(pci_host_add_function(vm.pci, &other, SLOT, 1, 0), -EBUSY);
	assert_true(pci_host_explain_refusal(vm.pci, &other, -EBUSY, text, sizeof(text)));
	assert_string_equal(text, "function 1 of guest slot 05 is taken");
	assert_int_equal(ecam_rd(&vm, SLOT, 1, PCI_VENDOR_ID, 4), 0x1aef10de);

	assert_int_equal(pci_host_add_function(vm.pci, &other, -1, 1, 0), -EINVAL);
	assert_int_equal(pci_host_add_function(vm.pci, &other, SLOT, PCI_MAX_FUNCTIONS, 0), -EINVAL);
	assert_int_equal(pci_host_add_function(vm.pci, &other, PCI_MAX_SLOTS, 0, 0), -EINVAL);
	/* A slot with functions is not free, however many it has. */
	assert_int_equal(pci_host_add_device(vm.pci, &other, -1, 0), 0);
	assert_int_equal(other.slot, SLOT + 1);
}

/* Removing function 1 makes the slot single-function again; removing
 * function 0 takes the rest out of the guest's reach. */
static void test_remove(void **state)
{
	assert_int_equal(pci_host_add_device(vm.pci, &gpu, SLOT, 1), 0);
	gpu.ops = &host_ops;
	assert_int_equal(pci_host_add_function(vm.pci, &audio, SLOT, 1, 2), 0);
	assert_mfd(SLOT, 0, true, &gpu);
	pci_host_remove_device(vm.pci, &audio);
	assert_mfd(SLOT, 0, false, &gpu);
	assert_int_equal(ecam_rd(&vm, SLOT, 1, PCI_VENDOR_ID, 4), 0xffffffff);

	/* Back again, then function 0 goes first. */
	assert_int_equal(pci_host_add_function(vm.pci, &audio, SLOT, 1, 2), 0);
	assert_mfd(SLOT, 1, true, &audio);
	pci_host_remove_device(vm.pci, &gpu);
	assert_int_equal(ecam_rd(&vm, SLOT, 0, PCI_VENDOR_ID, 4), 0xffffffff);
	assert_int_equal(ecam_rd(&vm, SLOT, 1, PCI_VENDOR_ID, 4), 0xffffffff);
	pci_host_remove_device(vm.pci, &audio);
	/* Now the slot is free. */
	assert_int_equal(pci_host_add_device(vm.pci, &other, SLOT, 0), 0);
	assert_mfd(SLOT, 0, false, &other);
}

/* A bus reset turns decoding off and resets every function. */
static void test_reset(void **state)
{
	assert_int_equal(pci_host_add_device(vm.pci, &gpu, SLOT, 1), 0);
	assert_int_equal(pci_host_add_function(vm.pci, &audio, SLOT, 1, 2), 0);
	ecam_wr(&vm, SLOT, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ecam_wr(&vm, SLOT, 1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(ecam_rd(&vm, SLOT, 1, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
	pci_host_reset(&vm);
	assert_int_equal(ecam_rd(&vm, SLOT, 0, PCI_COMMAND, 2), 0);
	assert_int_equal(ecam_rd(&vm, SLOT, 1, PCI_COMMAND, 2), 0);
	assert_int_equal(resets, 2);
	assert_mfd(SLOT, 0, true, &gpu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_single_function_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_functions_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_function_reached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
	};
	return cmocka_run_group_tests_name("pci functions", tests, NULL, NULL);
}
