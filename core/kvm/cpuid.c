// SPDX-License-Identifier: GPL-2.0-only
#include "core/kvm/cpuid.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CPUID_1_ECX_HYPERVISOR (1U << 31)
#define CPUID_1_EDX_HTT        (1U << 28)
#define CPUID_1_ECX_TSC_DEADLINE (1U << 24)
/* Leaf 0xB/0x1F level types (SDM Vol. 2A, CPUID leaf 0BH). */
#define TOPO_LEVEL_INVALID 0
#define TOPO_LEVEL_SMT     1
#define TOPO_LEVEL_CORE    2

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *t, uint32_t function, uint32_t index)
{
	for (uint32_t i = 0; i < t->nent; i++) {
		struct kvm_cpuid_entry2 *e = &t->entries[i];

		if (e->function != function)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && e->index != index)
			continue;
		return e;
	}
	return NULL;
}

/* Bits needed to number N things: 1 -> 0, 2 -> 1, 3..4 -> 2, ... */
static unsigned order(unsigned n)
{
	unsigned b = 0;

	while ((1U << b) < n)
		b++;
	return b;
}

/* Rewrite (or add) the extended topology leaf FN (0xB or 0x1F). */
static void set_topology_leaf(struct kvm_cpuid2 *t, uint32_t fn, unsigned ncpus,
			      uint32_t apic_id)
{
	unsigned core_shift = order(ncpus);

	/* Drop the existing subleaves, then add SMT, core and terminator. */
	for (uint32_t i = 0; i < t->nent;) {
		if (t->entries[i].function == fn) {
			t->entries[i] = t->entries[--t->nent];
			continue;
		}
		i++;
	}
	for (uint32_t sub = 0; sub < 3; sub++) {
		struct kvm_cpuid_entry2 *e = &t->entries[t->nent++];

		memset(e, 0, sizeof(*e));
		e->function = fn;
		e->index = sub;
		e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
		e->edx = apic_id;
		switch (sub) {
		case 0: /* one thread per core */
			e->eax = 0;
			e->ebx = 1;
			e->ecx = sub | (TOPO_LEVEL_SMT << 8);
			break;
		case 1: /* NCPUS cores per package */
			e->eax = core_shift;
			e->ebx = ncpus;
			e->ecx = sub | (TOPO_LEVEL_CORE << 8);
			break;
		default:
			e->ecx = sub | (TOPO_LEVEL_INVALID << 8);
			break;
		}
	}
}

int cpuid_build(const struct kvm_cpuid2 *supported, const struct cpuid_options *o,
		struct kvm_cpuid2 **out)
{
	unsigned ncpus = o->ncpus;
	uint32_t apic_id = o->apic_id;
	/* Room for the topology subleaves we may add. */
	size_t n = supported->nent + 8;
	struct kvm_cpuid2 *t;
	struct kvm_cpuid_entry2 *e;
	uint32_t max_basic = 0;

	t = calloc(1, sizeof(*t) + n * sizeof(t->entries[0]));
	if (!t)
		return -ENOMEM;
	t->nent = supported->nent;
	memcpy(t->entries, supported->entries, supported->nent * sizeof(t->entries[0]));

	e = cpuid_find(t, 0, 0);
	if (e)
		max_basic = e->eax;

	e = cpuid_find(t, 1, 0);
	if (e) {
		unsigned logical = 1U << order(ncpus);

		e->ebx = (e->ebx & 0x0000ffff) | ((logical & 0xff) << 16) | ((apic_id & 0xff) << 24);
		e->ecx |= CPUID_1_ECX_HYPERVISOR;
		/* With it Linux drives the LAPIC timer from the TSC and never
		 * calibrates it against the PIT, which a busy host skews. */
		if (o->tsc_deadline)
			e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
		if (ncpus > 1)
			e->edx |= CPUID_1_EDX_HTT;
		else
			e->edx &= ~CPUID_1_EDX_HTT;
	}

	/* Intel deterministic cache parameters: cores per package - 1. */
	for (uint32_t sub = 0; sub < 8; sub++) {
		e = cpuid_find(t, 4, sub);
		if (!e || (e->eax & 0x1f) == 0)
			break;
		e->eax = (e->eax & 0x03ffffff) | (((1U << order(ncpus)) - 1) << 26);
		/* Caches are private to one core (one thread per core). */
		e->eax &= ~(0xfffU << 14);
	}

	if (max_basic >= 0xb)
		set_topology_leaf(t, 0xb, ncpus, apic_id);
	if (max_basic >= 0x1f)
		set_topology_leaf(t, 0x1f, ncpus, apic_id);

	/* AMD: NC (cores - 1) and the APIC ID width; per-core ext. APIC ID. */
	e = cpuid_find(t, 0x80000008, 0);
	if (e)
		e->ecx = (e->ecx & ~0xf0ffU) | ((ncpus - 1) & 0xff) | (order(ncpus) << 12);
	e = cpuid_find(t, 0x8000001e, 0);
	if (e) {
		e->eax = apic_id;
		e->ebx = apic_id & 0xff;      /* core id; one thread per core */
		e->ecx = 0;                   /* node 0, one node */
	}

	*out = t;
	return 0;
}
