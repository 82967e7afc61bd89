// SPDX-License-Identifier: GPL-2.0-only
/* Guest memory layout and the e820 map for 64M, 2G, 3G, 4G and 16G guests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "core/vm/layout.h"
#include "core/vm/memory.h"

#define M (1ULL << 20)
#define G (1ULL << 30)

static void check_e820(const struct mem_layout *l, const struct e820_entry *want, unsigned n)
{
	assert_int_equal(l->ne820, n);
	for (unsigned i = 0; i < n; i++) {
		if (l->e820[i].addr != want[i].addr || l->e820[i].size != want[i].size ||
		    l->e820[i].type != want[i].type)
			fail_msg("e820[%u] = %#llx+%#llx type %u, want %#llx+%#llx type %u", i,
				 (unsigned long long)l->e820[i].addr, (unsigned long long)l->e820[i].size,
				 l->e820[i].type, (unsigned long long)want[i].addr,
				 (unsigned long long)want[i].size, want[i].type);
	}
	/* Sorted and non-overlapping, as Linux expects. */
	for (unsigned i = 1; i < n; i++)
		assert_true(l->e820[i - 1].addr + l->e820[i - 1].size <= l->e820[i].addr);
}

static uint64_t ram_in_e820(const struct mem_layout *l)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < l->ne820; i++)
		if (l->e820[i].type == E820_RAM)
			sum += l->e820[i].size;
	return sum;
}

static void test_64m(void **state)
{
	struct mem_layout l;
	const struct e820_entry want[] = {
		{ 0, 0x9fc00, E820_RAM },
		{ 0x9fc00, 0x400, E820_RESERVED },
		{ 0xe0000, 0x20000, E820_RESERVED },
		{ 1 * M, 63 * M, E820_RAM },
		{ 0xe0000000, 1 * M, E820_RESERVED },
	};

	assert_int_equal(memory_layout_init(&l, 64 * M, LAYOUT_DIRECT_BOOT), 0);
	assert_int_equal(l.nregions, 1);
	assert_true(l.regions[0].gpa == 0 && l.regions[0].size == 64 * M);
	assert_true(l.low_end == 64 * M);
	assert_true(l.high_end == 4 * G);
	assert_true(l.mmio64_base == 64 * G);
	check_e820(&l, want, 5);
	/* The only RAM the guest is not told about: the EBDA and BIOS area. */
	assert_true(ram_in_e820(&l) == 64 * M - 0x400 - 0x60000);
}

static void test_2g(void **state)
{
	struct mem_layout l;

	assert_int_equal(memory_layout_init(&l, 2 * G, LAYOUT_DIRECT_BOOT), 0);
	assert_int_equal(l.nregions, 1);
	assert_true(l.low_end == 2 * G);
	assert_true(l.e820[3].addr == 1 * M && l.e820[3].size == 2 * G - 1 * M);
	assert_int_equal(l.ne820, 5);
	assert_true(l.low_end <= LAYOUT_PCI_HOLE_START);
}

/* 3G: RAM on both sides of the PCI hole. */
static void test_3g(void **state)
{
	struct mem_layout l;

	assert_int_equal(memory_layout_init(&l, 3 * G, LAYOUT_DIRECT_BOOT), 0);
	assert_int_equal(l.nregions, 2);
	assert_true(l.regions[0].gpa == 0 && l.regions[0].size == 2 * G);
	assert_true(l.regions[1].gpa == 4 * G && l.regions[1].size == 1 * G);
	assert_true(l.regions[1].host_offset == 2 * G);
	assert_true(l.low_end == 2 * G && l.high_end == 5 * G);
	assert_int_equal(l.ne820, 6);
	assert_true(l.e820[5].addr == 4 * G && l.e820[5].size == 1 * G && l.e820[5].type == E820_RAM);
	/* Nothing in the hole is RAM. */
	for (unsigned i = 0; i < l.ne820; i++)
		if (l.e820[i].type == E820_RAM)
			assert_true(l.e820[i].addr + l.e820[i].size <= LAYOUT_PCI_HOLE_START ||
				    l.e820[i].addr >= LAYOUT_PCI_HOLE_END);
	assert_true(ram_in_e820(&l) == 3 * G - 0x400 - 0x60000);
}

static void test_4g(void **state)
{
	struct mem_layout l;

	assert_int_equal(memory_layout_init(&l, 4 * G, LAYOUT_DIRECT_BOOT), 0);
	assert_int_equal(l.nregions, 2);
	assert_true(l.regions[0].gpa == 0 && l.regions[0].size == 2 * G);
	assert_true(l.regions[1].gpa == 4 * G && l.regions[1].size == 2 * G);
	assert_true(l.regions[1].host_offset == 2 * G);
	assert_true(l.high_end == 6 * G);
	assert_int_equal(l.ne820, 6);
	assert_true(l.e820[5].addr == 4 * G && l.e820[5].size == 2 * G && l.e820[5].type == E820_RAM);
	assert_true(l.mmio64_base == 64 * G);
}

static void test_16g(void **state)
{
	struct mem_layout l;

	assert_int_equal(memory_layout_init(&l, 16 * G, LAYOUT_DIRECT_BOOT), 0);
	assert_true(l.regions[1].gpa == 4 * G && l.regions[1].size == 14 * G);
	assert_true(l.high_end == 18 * G);
	assert_true(l.mmio64_base == 64 * G && l.mmio64_size == 64 * G);
	/* The 64-bit window is above RAM and aligned to its size, so an 8 GiB
	 * BAR fits naturally aligned. */
	assert_true(l.mmio64_base >= l.high_end);
	assert_true(l.mmio64_base % (8 * G) == 0);
	assert_true(ram_in_e820(&l) == 16 * G - 0x400 - 0x60000);
}

static void test_bad_sizes(void **state)
{
	struct mem_layout l;

	assert_int_equal(memory_layout_init(&l, 8 * M, LAYOUT_DIRECT_BOOT), -EINVAL);
	assert_int_equal(memory_layout_init(&l, 64 * M + 1, LAYOUT_DIRECT_BOOT), -EINVAL);
}

/* guest_ptr refuses any range that is not entirely RAM. */
static void test_guest_ptr(void **state)
{
	/* Only the arithmetic is checked: nothing is dereferenced. */
	uint8_t *fake = (uint8_t *)(uintptr_t)0x100000000000ULL;
	struct guest_memory m = { .host = fake };

	assert_int_equal(memory_layout_init(&m.layout, 4 * G, LAYOUT_DIRECT_BOOT), 0);
	assert_ptr_equal(memory_guest_ptr(&m, 0, 16), fake);
	assert_true((uintptr_t)memory_guest_ptr(&m, 4 * G, 16) == (uintptr_t)fake + 2 * G);
	assert_null(memory_guest_ptr(&m, 2 * G - 8, 16));             /* runs into the hole */
	assert_null(memory_guest_ptr(&m, 3 * G, 1));                  /* in the hole */
	assert_null(memory_guest_ptr(&m, 6 * G - 1, 2));              /* past the end */
	assert_null(memory_guest_ptr(&m, 4 * G, UINT64_MAX));         /* absurd length */
	assert_null(memory_guest_ptr(&m, UINT64_MAX - 4, 16));        /* wraps */
	assert_non_null(memory_guest_ptr(&m, 6 * G - 16, 16));
}

/*
 * Issue 20: guest RAM at a host address congruent with guest-physical
 * addresses modulo 2 MiB, so KVM can map THP's 2 MiB pages whole. Several
 * mappings, with small ones in between to move mmap's next address off any
 * lucky alignment; every region of each layout, on both platforms (low RAM
 * and RAM above 4 GiB), lands on a 2 MiB boundary, and each is usable to
 * its last byte. Failed before the fix (a mapping 1 MiB off).
 */
static void test_ram_aligned(void **state)
{
	struct guest_memory m[6];
	void *gap[6];

	(void)state;
	for (unsigned i = 0; i < 6; i++) {
		gap[i] = mmap(NULL, 4096 * (i + 1), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(gap[i] != MAP_FAILED);
		memset(&m[i], 0, sizeof(m[i]));
		assert_int_equal(memory_map(&m[i], i == 5 ? 6 * G : 64 * M + i * 4096 * 256,
					    MEMORY_BACKING_ANONYMOUS, i % 2 ? LAYOUT_FIRMWARE : LAYOUT_DIRECT_BOOT),
				 0);
		assert_int_equal((uintptr_t)m[i].host % SZ_2M, 0);
		for (unsigned r = 0; r < m[i].layout.nregions; r++) {
			const struct mem_region *g = &m[i].layout.regions[r];
			uintptr_t host = (uintptr_t)m[i].host + g->host_offset;

			assert_int_equal(host % SZ_2M, g->gpa % SZ_2M);
		}
		m[i].host[0] = 1;
		m[i].host[m[i].host_size - 1] = 1;
	}
	assert_int_equal(m[5].layout.nregions, 2);
	for (unsigned i = 0; i < 6; i++) {
		memory_unmap(&m[i]);
		munmap(gap[i], 4096 * (i + 1));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_64m),   cmocka_unit_test(test_2g),  cmocka_unit_test(test_3g),
		cmocka_unit_test(test_4g),    cmocka_unit_test(test_16g),
		cmocka_unit_test(test_bad_sizes), cmocka_unit_test(test_guest_ptr),
		cmocka_unit_test(test_ram_aligned),
	};
	return cmocka_run_group_tests_name("memory", tests, NULL, NULL);
}
