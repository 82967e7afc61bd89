// SPDX-License-Identifier: GPL-2.0-only
/* Per-vCPU CPUID: APIC IDs and topology agree across the leaves Linux
 * reads, the hypervisor bit, and the TSC-deadline timer when KVM has it;
 * the hypervisor leaves: KVM's, Hyper-V's with KVM's moved or hidden. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
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

/* KVM's own leaves as KVM_GET_SUPPORTED_CPUID has them: "KVMKVMKVM\0\0\0"
 * and the highest leaf, then the paravirt features. */
static void add_kvm_leaves(struct kvm_cpuid2 *t)
{
	t->entries[t->nent++] = (struct kvm_cpuid_entry2){ .function = 0x40000000, .eax = 0x40000001,
							   .ebx = 0x4b4d564b, .ecx = 0x564b4d56, .edx = 0x4d };
	t->entries[t->nent++] = (struct kvm_cpuid_entry2){ .function = 0x40000001, .eax = 0x01007efb };
}

/* KVM_GET_SUPPORTED_HV_CPUID as Linux 6.1 answers it on an Intel host
 * with nested VMX (eVMCS offered), in its order. */
static struct kvm_cpuid2 *supported_hv(void)
{
	struct kvm_cpuid2 *t = calloc(1, sizeof(*t) + 10 * sizeof(t->entries[0]));

	/* "Linux KVM Hv", up to the synthetic debugger's leaves */
	t->entries[t->nent++] = (struct kvm_cpuid_entry2){ .function = 0x40000000, .eax = 0x40000082,
							   .ebx = 0x756e694c, .ecx = 0x564b2078, .edx = 0x7648204d };
	t->entries[t->nent++] = (struct kvm_cpuid_entry2){ .function = 0x40000001, .eax = 0x31237648 };
	t->entries[t->nent++] = (struct kvm_cpuid_entry2){ .function = 0x40000002, .eax = 0x3839, .ebx = 0xa0000 };
	/* runtime, time ref, SynIC, stimer, APIC, hypercall, VP index, reset,
	 * TSC page, frequencies, reenlightenment, TSC invariant; post, signal,
	 * debugging, extended hypercalls; debugging, XMM input, frequency
	 * MSRs, crash MSRs, debug MSRs, extended GVA flush, direct stimers */
	t->entries[t->nent++] = (struct kvm_cpuid_entry2){ .function = 0x40000003, .eax = 0xaaff,
							   .ebx = 0x100830, .edx = 0x84d12 };
	/* remote TLB flush, APIC, relaxed timing, AEOI deprecated, cluster
	 * IPI, ex masks, eVMCS, no core sharing; 0xfff spinlock retries */
	t->entries[t->nent++] = (struct kvm_cpuid_entry2){ .function = 0x40000004, .eax = 0x44e2c, .ebx = 0xfff };
	t->entries[t->nent++] = (struct kvm_cpuid_entry2){ .function = 0x40000005, .eax = 4096, .ebx = 64 };
	t->entries[t->nent++] = (struct kvm_cpuid_entry2){ .function = 0x40000080,
							   .ebx = 0x756e694c, .ecx = 0x564b2078, .edx = 0x7648204d };
	t->entries[t->nent++] = (struct kvm_cpuid_entry2){ .function = 0x40000081, .eax = 0x31235356 };
	t->entries[t->nent++] = (struct kvm_cpuid_entry2){ .function = 0x40000082, .eax = 2 };
	t->entries[t->nent++] = (struct kvm_cpuid_entry2){ .function = 0x4000000a, .eax = 0x20101 };
	return t;
}

/* The 12 bytes of EBX, ECX and EDX, as a guest reads a signature. */
static void signature(const struct kvm_cpuid_entry2 *e, char out[13])
{
	memcpy(out, &e->ebx, 4);
	memcpy(out + 4, &e->ecx, 4);
	memcpy(out + 8, &e->edx, 4);
	out[12] = '\0';
}

/* Is "KVMKVMKVM" anywhere in T's registers? */
static bool has_kvm_signature(struct kvm_cpuid2 *t)
{
	for (uint32_t i = 0; i < t->nent; i++) {
		char sig[13];

		signature(&t->entries[i], sig);
		if (memmem(sig, 12, "KVMKVMKVM", 9) || memmem(sig, 12, "KVM", 3))
			return true;
	}
	return false;
}

static unsigned count_range(struct kvm_cpuid2 *t, uint32_t from, uint32_t to)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < t->nent; i++)
		n += t->entries[i].function >= from && t->entries[i].function <= to;
	return n;
}

static struct kvm_cpuid2 *build(const struct kvm_cpuid2 *s, const struct cpuid_options *o)
{
	struct kvm_cpuid2 *t = NULL;

	assert_int_equal(cpuid_build(s, o, &t), 0);
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

/* Without the keys, KVM's leaves are exactly as KVM gives them, at
 * 0x40000000, nothing at 0x40000100, and the hypervisor bit is set. */
static void test_hypervisor_default(void **state)
{
	struct kvm_cpuid2 *s = supported(), *t;
	enum kvm_hypervisor_id ids[] = { KVM_HYPERVISOR_ID_DEFAULT, KVM_HYPERVISOR_ID_KVM };
	char sig[13];

	add_kvm_leaves(s);
	for (size_t i = 0; i < 2; i++) {
		t = build(s, &(struct cpuid_options){ .ncpus = 2, .apic_id = 1,
						      .hypervisor = { .id = ids[i] } });
		assert_memory_equal(cpuid_find(t, 0x40000000, 0), &s->entries[5], sizeof(s->entries[5]));
		assert_memory_equal(cpuid_find(t, 0x40000001, 0), &s->entries[6], sizeof(s->entries[6]));
		signature(cpuid_find(t, 0x40000000, 0), sig);
		assert_string_equal(sig, "KVMKVMKVM");
		assert_int_equal(count_range(t, 0x40000000, 0x4000ffff), 2);
		assert_true(cpuid_find(t, 1, 0)->ecx & (1U << 31));
		free(t);
	}
	free(s);
}

/* hyperv = yes: KVM's Hyper-V leaves at 0x40000000 as "Microsoft Hv",
 * the same on every vCPU; KVM's moved to 0x40000100 with their highest
 * leaf; of the features only what Windows uses and KVM serves alone. */
static void test_hyperv(void **state)
{
	struct kvm_cpuid2 *s = supported(), *hv = supported_hv(), *t, *first = NULL;
	struct kvm_cpuid_entry2 *e;
	char sig[13];

	add_kvm_leaves(s);
	for (uint32_t apic = 0; apic < 4; apic++) {
		t = build(s, &(struct cpuid_options){ .ncpus = 4, .apic_id = apic,
						      .hypervisor = { .hyperv = true },
						      .hyperv_cpuid = hv, .hyperv_synic = true });
		/* Hyper-V's block: 0x40000000-5 and nothing of the debugger's
		 * (0x40000080-2) or the nested features (0x4000000A). */
		assert_int_equal(count_range(t, 0x40000000, 0x400000ff), 6);
		for (uint32_t fn = 0x40000000; fn <= 0x40000005; fn++) {
			assert_non_null(cpuid_find(t, fn, 0));
			if (first)
				assert_memory_equal(cpuid_find(t, fn, 0), cpuid_find(first, fn, 0),
						    sizeof(*e));
		}
		assert_true(cpuid_find(t, 1, 0)->ecx & (1U << 31));
		if (!first)
			first = t;
		else
			free(t);
	}
	t = first;
	e = cpuid_find(t, 0x40000000, 0);
	signature(e, sig);
	assert_string_equal(sig, "Microsoft Hv");
	assert_int_equal(e->eax, 0x40000005);
	assert_int_equal(cpuid_find(t, 0x40000001, 0)->eax, 0x31237648);       /* "Hv#1" */
	assert_int_equal(cpuid_find(t, 0x40000005, 0)->eax, 4096);
	/* KVM's, a block up: Linux and KVM find them there. */
	e = cpuid_find(t, 0x40000100, 0);
	assert_non_null(e);
	signature(e, sig);
	assert_memory_equal(sig, "KVMKVMKVM\0\0\0", 12);
	assert_int_equal(e->eax, 0x40000101);
	assert_int_equal(cpuid_find(t, 0x40000101, 0)->eax, 0x01007efb);
	assert_int_equal(count_range(t, 0x40000100, 0x400001ff), 2);

	/* Runtime, reference counter, SynIC, stimers, APIC MSRs, hypercall,
	 * VP index, TSC page, frequencies; not reset, reenlightenment or the
	 * invariant TSC control. */
	e = cpuid_find(t, 0x40000003, 0);
	assert_int_equal(e->eax, 0xa7f);
	assert_int_equal(e->ebx, 0);              /* no VMBus, debugger, extended hypercalls */
	/* Frequency MSRs, extended GVA flush, direct stimers; not crash,
	 * debug or XMM input. */
	assert_int_equal(e->edx, (1U << 8) | (1U << 14) | (1U << 19));
	/* TLB flush, APIC, relaxed timing, AEOI deprecated, cluster IPI, ex
	 * masks; not eVMCS or core sharing. */
	e = cpuid_find(t, 0x40000004, 0);
	assert_int_equal(e->eax, 0xe2c);
	assert_int_equal(e->ebx, 0xfff);
	free(t);

	/* Without KVM_CAP_HYPERV_SYNIC2, no SynIC and no stimers. */
	t = build(s, &(struct cpuid_options){ .ncpus = 1, .hypervisor = { .hyperv = true,
									  .id = KVM_HYPERVISOR_ID_HYPERV },
					      .hyperv_cpuid = hv });
	e = cpuid_find(t, 0x40000003, 0);
	assert_int_equal(e->eax & ((1U << 2) | (1U << 3)), 0);
	assert_int_equal(e->edx & (1U << 19), 0);
	assert_int_equal(cpuid_find(t, 0x40000004, 0)->eax & (1U << 9), 0);
	assert_int_equal(e->eax & (1U << 5), 1U << 5);            /* the hypercall MSRs stay */
	free(t);
	free(hv);
	free(s);
}

/* hyperv-vendor-id: the 12 bytes at 0x40000000, NUL-padded. */
static void test_hyperv_vendor(void **state)
{
	struct kvm_cpuid2 *s = supported(), *hv = supported_hv(), *t;
	struct kvm_cpuid_entry2 *e;

	add_kvm_leaves(s);
	t = build(s, &(struct cpuid_options){ .ncpus = 1, .hypervisor = { .hyperv = true,
									  .vendor = "1234567890ab" },
					      .hyperv_cpuid = hv });
	e = cpuid_find(t, 0x40000000, 0);
	assert_int_equal(e->ebx, 0x34333231);                      /* "1234" */
	assert_int_equal(e->ecx, 0x38373635);                      /* "5678" */
	assert_int_equal(e->edx, 0x62613039);                      /* "90ab" */
	free(t);
	t = build(s, &(struct cpuid_options){ .ncpus = 1, .hypervisor = { .hyperv = true, .vendor = "Hv" },
					      .hyperv_cpuid = hv });
	e = cpuid_find(t, 0x40000000, 0);
	assert_int_equal(e->ebx, 0x7648);                          /* "Hv\0\0" */
	assert_int_equal(e->ecx, 0);
	assert_int_equal(e->edx, 0);
	free(t);
	free(hv);
	free(s);
}

/* hide: no KVM signature anywhere; without Hyper-V no hypervisor bit
 * either, with it the bit stays (Windows needs it for the leaves). */
static void test_hide(void **state)
{
	struct kvm_cpuid2 *s = supported(), *hv = supported_hv(), *t, *kvm;
	char sig[13];

	add_kvm_leaves(s);
	kvm = build(s, &(struct cpuid_options){ .ncpus = 2 });
	t = build(s, &(struct cpuid_options){ .ncpus = 2, .hypervisor = { .id = KVM_HYPERVISOR_ID_HIDE } });
	assert_false(has_kvm_signature(t));
	assert_int_equal(count_range(t, 0x40000000, 0x4fffffff), 0);
	assert_false(cpuid_find(t, 1, 0)->ecx & (1U << 31));
	/* The rest is as without hide. */
	assert_int_equal(cpuid_find(t, 1, 0)->ecx, 0x00202001);
	assert_int_equal(t->nent, kvm->nent - 2);
	free(t);
	free(kvm);

	t = build(s, &(struct cpuid_options){ .ncpus = 2, .hypervisor = { .hyperv = true,
									  .id = KVM_HYPERVISOR_ID_HIDE },
					      .hyperv_cpuid = hv, .hyperv_synic = true });
	assert_false(has_kvm_signature(t));
	assert_int_equal(count_range(t, 0x40000100, 0x4fffffff), 0);
	signature(cpuid_find(t, 0x40000000, 0), sig);
	assert_string_equal(sig, "Microsoft Hv");
	assert_true(cpuid_find(t, 1, 0)->ecx & (1U << 31));
	free(t);
	free(hv);
	free(s);
}

/* What cannot be built: Hyper-V's leaves where KVM's stay, a Hyper-V
 * signature without its leaves, Hyper-V without KVM's table. */
static void test_hypervisor_refused(void **state)
{
	struct kvm_cpuid2 *s = supported(), *hv = supported_hv(), *t = NULL;

	add_kvm_leaves(s);
	assert_int_equal(cpuid_build(s, &(struct cpuid_options){ .ncpus = 1,
			 .hypervisor = { .hyperv = true, .id = KVM_HYPERVISOR_ID_KVM }, .hyperv_cpuid = hv }, &t),
			 -EINVAL);
	assert_int_equal(cpuid_build(s, &(struct cpuid_options){ .ncpus = 1,
			 .hypervisor = { .id = KVM_HYPERVISOR_ID_HYPERV } }, &t), -EINVAL);
	assert_int_equal(cpuid_build(s, &(struct cpuid_options){ .ncpus = 1,
			 .hypervisor = { .hyperv = true } }, &t), -EINVAL);
	assert_null(t);
	free(hv);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topology),
		cmocka_unit_test(test_hypervisor_default),
		cmocka_unit_test(test_hyperv),
		cmocka_unit_test(test_hyperv_vendor),
		cmocka_unit_test(test_hide),
		cmocka_unit_test(test_hypervisor_refused),
	};
	return cmocka_run_group_tests_name("cpuid", tests, NULL, NULL);
}
