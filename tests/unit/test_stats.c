// SPDX-License-Identifier: GPL-2.0-only
/* The exit statistics (core/vm/stats.c): sources merged across vCPUs,
 * unassigned ports and pages told apart, a full table counted, the report's
 * lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/kvm/kvm.h"
#include "core/vm/stats.h"

static void test_report(void **state)
{
	struct vcpu_stats *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	const struct vcpu_stats *cpus[2] = { a, b };
	char *text;

	(void)state;
	for (int i = 0; i < 10; i++) {
		stats_record_exit(a, KVM_EXIT_KIND_IO, 1000);
		stats_record_access(a, STATS_PIO, "com1", 0x3f8, 1000000000ull + (uint64_t)i, 1000);
	}
	for (int i = 0; i < 5; i++) {
		stats_record_exit(b, KVM_EXIT_KIND_IO, 2000);
		stats_record_access(b, STATS_PIO, "com1", 0x3f8, 500000000ull, 2000);
	}
	stats_record_exit(b, KVM_EXIT_KIND_MMIO, 3000);
	stats_record_access(b, STATS_MMIO, "pci-ecam", 0xb0000000, 2000000000ull, 3000);
	stats_record_exit(a, KVM_EXIT_KIND_IO, 10);
	stats_record_access(a, STATS_PIO, NULL, 0x80, 3000000000ull, 10);
	stats_record_exit(a, KVM_EXIT_KIND_NONE, 0);
	a->run_ns = 4000000000ull;
	b->run_ns = 1000000000ull;

	text = stats_report(cpus, 2, NULL, 6000000000ull, 250000000ull, 10);
	assert_non_null(text);
	assert_non_null(strstr(text, "stats: 6.000 s since start, 2 vCPU(s): 5.000 s inside KVM_RUN (summed), 18 exits\n"));
	assert_non_null(strstr(text, "stats: the guest's first console output at 0.250 s\n"));
	assert_non_null(strstr(text, "exits by kind (count, handler time): interrupted 1 0.000 s, pio 16 0.000 s, "
				     "mmio 1 0.000 s\n"));
	/* com1 from both vCPUs is one source: 15 exits, first at 0.5 s (b),
	 * last at 1.000000009 s (a), listed first. */
	assert_non_null(strstr(text, "top 3 exit sources"));
	assert_non_null(strstr(text, "stats:   pio  com1                0x3f8        15    0.000 s     0.500 s    1.000 s\n"));
	assert_true(strstr(text, "com1") < strstr(text, "pci-ecam"));
	assert_non_null(strstr(text, "mmio pci-ecam       0xb0000000         1"));
	assert_non_null(strstr(text, "pio  unassigned           0x80         1"));
	free(text);
	free(a);
	free(b);
}

/* More sources than slots: the rest are counted, not lost silently. */
static void test_full_table(void **state)
{
	struct vcpu_stats *a = calloc(1, sizeof(*a));
	const struct vcpu_stats *cpus[1] = { a };
	char *text;

	(void)state;
	for (uint64_t page = 0; page < STATS_SLOTS + 7; page++)
		stats_record_access(a, STATS_MMIO, NULL, page << 12, 1, 1);
	assert_int_equal(a->unplaced, 7);
	text = stats_report(cpus, 1, NULL, 1, 0, 5);
	assert_non_null(text);
	assert_non_null(strstr(text, "stats: 7 exits from sources past the table's 128 slots per vCPU\n"));
	assert_null(strstr(text, "first console output"));
	assert_null(strstr(text, "start-up"));
	free(text);
	free(a);
}

/* Start-up phases: each phase's first end counts (a second mark, from
 * another vCPU or a later boot, does not move it), ms after the VM's
 * start, in phase order, phases not reached left out, then the first
 * output. */
static void test_startup(void **state)
{
	struct vcpu_stats *a = calloc(1, sizeof(*a));
	const struct vcpu_stats *cpus[1] = { a };
	struct stats_startup s = { .before_ns = 2500000 };
	const uint64_t t0 = 1000000000000ull;
	char *text;

	(void)state;
	stats_mark(&s, STATS_PHASE_KVM, t0, t0 + 1200000);
	stats_mark(&s, STATS_PHASE_RAM, t0, t0 + 3400000);
	stats_mark(&s, STATS_PHASE_FIRST_RUN, t0, t0 + 10400000);
	stats_mark(&s, STATS_PHASE_FIRST_RUN, t0, t0 + 99000000);
	stats_mark(&s, STATS_PHASE_VM, t0, t0 + 7000000);
	stats_mark(&s, STATS_PHASES, t0, t0 + 5);        /* not a phase: ignored */
	/* A clock read before the start still counts as reached. */
	stats_mark(&s, STATS_PHASE_DEVICES, t0, t0 - 5);
	assert_int_equal(s.at[STATS_PHASE_DEVICES], 1);
	text = stats_report(cpus, 1, &s, 20000000, 10900000, 5);
	assert_non_null(text);
	assert_non_null(strstr(text, "stats: start-up, ms after the VM's start (2.500 ms before it): kvm 1.200, "
				     "ram 3.400, devices 0.000, vm 7.000, first-run 10.400, first-output 10.900\n"));
	free(text);

	/* No first output yet: the line ends with the last phase. */
	text = stats_report(cpus, 1, &s, 20000000, 0, 5);
	assert_non_null(strstr(text, "vm 7.000, first-run 10.400\n"));
	free(text);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_full_table),
		cmocka_unit_test(test_startup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
