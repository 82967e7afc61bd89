// SPDX-License-Identifier: GPL-2.0-only
/* Per-vCPU CPUID: APIC IDs and topology agree across the leaves Linux
 * reads, the hypervisor bit, and the TSC-deadline timer when KVM has it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/kvm/cpuid.h"

/* A small stand-in for KVM_GET_SUPPORTED_CPUID of an x86 host. */
static struct kvm_cpuid2 *supported(void)
{
	struct kvm_cpuid2 *t = calloc(1, sizeof(*t) + 8 * sizeof(t->entries[0]));

	t->entries[t->nent++] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 0x1f };
	t->entries[t->nent++] = (struct kvm_cpuid_entry2){ .function = 1, .ebx = 0x00ff0800, .ecx = 0x80202001, .edx = 0x178bfbff };
	t->entries[t->nent++] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 1, .ebx = 2 };
	t->entries[t->nent++] = (struct kvm_cpuid_entry2){ .function = 0x80000008, .ecx = 0x703f };
	t->entries[t->nent++] = (struct kvm_cpuid_entry2){ .function = 0x8000001e, .eax = 99, .ebx = 0x100 };
	return t;
}

static void test_topology(void **state)
{
	struct kvm_cpuid2 *s = supported(), *t;
	struct kvm_cpuid_entry2 *e;

	assert_int_equal(cpuid_build(s, &(struct cpuid_options){ .ncpus = 6, .apic_id = 5 }, &t), 0);
	e = cpuid_find(t, 1, 0);
	assert_int_equal(e->ebx >> 24, 5);                 /* initial APIC ID */
	assert_int_equal((e->ebx >> 16) & 0xff, 8);        /* logical count, a power of two */
	assert_true(e->ecx & (1U << 31));                  /* hypervisor */
	assert_true(e->edx & (1U << 28));                  /* HTT: more than one CPU */
	assert_false(e->ecx & (1U << 24));                 /* no TSC deadline unless offered */
	/* Leaf 0xB: one thread per core, six cores, x2APIC ID 5. */
	e = cpuid_find(t, 0xb, 0);
	assert_int_equal(e->ebx, 1);
	assert_int_equal(e->edx, 5);
	assert_int_equal((e->ecx >> 8) & 0xff, 1);
	e = cpuid_find(t, 0xb, 1);
	assert_int_equal(e->ebx, 6);
	assert_int_equal(e->eax, 3);                       /* 6 cores need 3 bits */
	assert_int_equal((e->ecx >> 8) & 0xff, 2);
	e = cpuid_find(t, 0xb, 2);
	assert_int_equal((e->ecx >> 8) & 0xff, 0);
	/* 0x1F mirrors 0xB (max basic leaf is 0x1F here). */
	e = cpuid_find(t, 0x1f, 1);
	assert_non_null(e);
	assert_int_equal(e->ebx, 6);
	/* AMD: NC = cores - 1, APIC ID size, per-core extended APIC ID. */
	e = cpuid_find(t, 0x80000008, 0);
	assert_int_equal(e->ecx & 0xff, 5);
	assert_int_equal((e->ecx >> 12) & 0xf, 3);
	e = cpuid_find(t, 0x8000001e, 0);
	assert_int_equal(e->eax, 5);
	free(t);

	assert_int_equal(cpuid_build(s, &(struct cpuid_options){ .ncpus = 1, .apic_id = 0, .tsc_deadline = true }, &t), 0);
	e = cpuid_find(t, 1, 0);
	assert_false(e->edx & (1U << 28));
	assert_true(e->ecx & (1U << 24));                  /* TSC-deadline LAPIC timer */
	free(t);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_topology) };
	return cmocka_run_group_tests_name("cpuid", tests, NULL, NULL);
}
