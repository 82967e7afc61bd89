// SPDX-License-Identifier: GPL-2.0-only
#include "core/kvm/cpuid.h"
#include "core/kvm/kvm.h"

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

/* Hypervisor leaves come in blocks of 0x100 from 0x40000000: Linux and KVM
 * look for KVM's signature at the start of each block up to 0x40010000
 * (Linux's hypervisor_cpuid_base()), Windows for Hyper-V's at the first. */
#define CPUID_HV_BASE  0x40000000U
#define CPUID_HV_BLOCK 0x100U

/* Hyper-V TLFS 6.0 2.4 (Hypervisor CPUID leaves): the leaves the
 * enlightenments below need, up to the implementation limits. */
#define HV_CPUID_VENDOR         0x40000000U
#define HV_CPUID_FEATURES       0x40000003U
#define HV_CPUID_ENLIGHTENMENTS 0x40000004U
#define HV_CPUID_LIMITS         0x40000005U

/* 0x40000003 EAX, the partition's MSR privileges (TLFS 2.4.4). */
#define HV_MSR_VP_RUNTIME      (1U << 0)
#define HV_MSR_TIME_REF_COUNT  (1U << 1)
#define HV_MSR_SYNIC           (1U << 2)
#define HV_MSR_SYNTIMER        (1U << 3)
#define HV_MSR_APIC_ACCESS     (1U << 4)
#define HV_MSR_HYPERCALL       (1U << 5)
#define HV_MSR_VP_INDEX        (1U << 6)
#define HV_MSR_REFERENCE_TSC   (1U << 9)
#define HV_MSR_FREQUENCY       (1U << 11)
/* 0x40000003 EDX, other features. */
#define HV_FEAT_FREQUENCY_MSRS (1U << 8)
#define HV_FEAT_EXT_GVA_FLUSH  (1U << 14)
#define HV_FEAT_STIMER_DIRECT  (1U << 19)
/* 0x40000004 EAX, recommendations (TLFS 2.4.5). */
#define HV_REC_REMOTE_TLB_FLUSH (1U << 2)
#define HV_REC_APIC_ACCESS      (1U << 3)
#define HV_REC_RELAXED_TIMING   (1U << 5)
#define HV_REC_DEPRECATING_AEOI (1U << 9)
#define HV_REC_CLUSTER_IPI      (1U << 10)
#define HV_REC_EX_PROCESSOR_MASKS (1U << 11)

/* What Windows uses (relaxed timing, vapic, vpindex, runtime, reference
 * time and TSC page, frequencies, TLB flush and IPI hypercalls) and KVM
 * serves by itself. Left out, though KVM may offer them: what needs a
 * partner in partvm (VMBus messages and events, the synthetic debugger,
 * extended hypercalls all exit to user space) or a capability partvm does
 * not enable (eVMCS, nested features), the crash and reset MSRs (today a
 * crashed guest reboots and a reset comes through the platform), and
 * hints that change with the host (no core sharing). */
#define HV_FEATURES_EAX (HV_MSR_VP_RUNTIME | HV_MSR_TIME_REF_COUNT | HV_MSR_APIC_ACCESS | \
			 HV_MSR_HYPERCALL | HV_MSR_VP_INDEX | HV_MSR_REFERENCE_TSC | HV_MSR_FREQUENCY)
#define HV_FEATURES_EDX (HV_FEAT_FREQUENCY_MSRS | HV_FEAT_EXT_GVA_FLUSH)
#define HV_ENLIGHTENMENTS_EAX (HV_REC_REMOTE_TLB_FLUSH | HV_REC_APIC_ACCESS | \
			       HV_REC_RELAXED_TIMING | HV_REC_CLUSTER_IPI | HV_REC_EX_PROCESSOR_MASKS)
/* SynIC MSRs fault until KVM_CAP_HYPERV_SYNIC2 activates it on the vCPU;
 * the synthetic timers deliver through it. AEOI is deprecated because it
 * defeats APICv/AVIC. */
#define HV_SYNIC_FEATURES_EAX (HV_MSR_SYNIC | HV_MSR_SYNTIMER)
#define HV_SYNIC_FEATURES_EDX HV_FEAT_STIMER_DIRECT
#define HV_SYNIC_ENLIGHTENMENTS_EAX HV_REC_DEPRECATING_AEOI

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

/* Remove the leaves of the hypervisor block at BASE. */
static void drop_block(struct kvm_cpuid2 *t, uint32_t base)
{
	for (uint32_t i = 0; i < t->nent;) {
		if (t->entries[i].function - base < CPUID_HV_BLOCK) {
			t->entries[i] = t->entries[--t->nent];
			continue;
		}
		i++;
	}
}

/* KVM's block, 0x40000000 with its highest leaf in EAX, to 0x40000100. */
static void move_kvm_block(struct kvm_cpuid2 *t)
{
	uint32_t to = CPUID_HV_BASE + CPUID_HV_BLOCK;

	drop_block(t, to);
	for (uint32_t i = 0; i < t->nent; i++) {
		struct kvm_cpuid_entry2 *e = &t->entries[i];

		if (e->function - CPUID_HV_BASE >= CPUID_HV_BLOCK)
			continue;
		if (e->function == CPUID_HV_BASE && e->eax - CPUID_HV_BASE < CPUID_HV_BLOCK)
			e->eax += CPUID_HV_BLOCK;
		e->function += CPUID_HV_BLOCK;
	}
}

/* KVM's Hyper-V leaves from HV, filtered, added to T at 0x40000000. */
static void add_hyperv_block(struct kvm_cpuid2 *t, const struct kvm_cpuid2 *hv, const char *vendor,
			     bool synic)
{
	uint32_t feat_eax = HV_FEATURES_EAX, feat_edx = HV_FEATURES_EDX;
	uint32_t enl_eax = HV_ENLIGHTENMENTS_EAX, max = HV_CPUID_VENDOR;
	const char *name = vendor && *vendor ? vendor : KVM_HYPERV_VENDOR_DEFAULT;
	char sig[KVM_HYPERV_VENDOR_MAX] = { 0 };
	struct kvm_cpuid_entry2 *e;

	if (synic) {
		feat_eax |= HV_SYNIC_FEATURES_EAX;
		feat_edx |= HV_SYNIC_FEATURES_EDX;
		enl_eax |= HV_SYNIC_ENLIGHTENMENTS_EAX;
	}
	for (uint32_t i = 0; i < hv->nent; i++) {
		if (hv->entries[i].function - HV_CPUID_VENDOR > HV_CPUID_LIMITS - HV_CPUID_VENDOR)
			continue;
		e = &t->entries[t->nent++];
		*e = hv->entries[i];
		if (e->function > max)
			max = e->function;
		switch (e->function) {
		case HV_CPUID_FEATURES:
			e->eax &= feat_eax;
			e->ebx = 0;           /* privileges beyond MSRs: none of these needs one */
			e->ecx = 0;
			e->edx &= feat_edx;
			break;
		case HV_CPUID_ENLIGHTENMENTS:
			e->eax &= enl_eax;    /* EBX: KVM's spinlock retry count */
			e->ecx = 0;
			e->edx = 0;
			break;
		}
	}
	/* KVM names itself ("Linux KVM Hv") and counts the debugger's leaves;
	 * Windows and its drivers expect Microsoft's name or the chosen one. */
	e = cpuid_find(t, HV_CPUID_VENDOR, 0);
	if (!e)
		return;
	memcpy(sig, name, strnlen(name, sizeof(sig)));
	e->eax = max;
	memcpy(&e->ebx, sig, 4);
	memcpy(&e->ecx, sig + 4, 4);
	memcpy(&e->edx, sig + 8, 4);
}

/* The hypervisor bit and the blocks from 0x40000000 as O says. */
static int set_hypervisor(struct kvm_cpuid2 *t, const struct cpuid_options *o)
{
	const struct kvm_hypervisor *h = &o->hypervisor;
	enum kvm_hypervisor_id id = h->id;
	struct kvm_cpuid_entry2 *e;

	if (id == KVM_HYPERVISOR_ID_DEFAULT)
		id = h->hyperv ? KVM_HYPERVISOR_ID_HYPERV : KVM_HYPERVISOR_ID_KVM;
	/* Both would be at 0x40000000; a Hyper-V signature needs its leaves. */
	if (h->hyperv && (id == KVM_HYPERVISOR_ID_KVM || !o->hyperv_cpuid))
		return -EINVAL;
	if (!h->hyperv && id == KVM_HYPERVISOR_ID_HYPERV)
		return -EINVAL;

	e = cpuid_find(t, 1, 0);
	if (e) {
		e->ecx |= CPUID_1_ECX_HYPERVISOR;
		/* Hidden means bare metal to whoever asks, unless Hyper-V's
		 * leaves are there: Windows uses them only with the bit set. */
		if (id == KVM_HYPERVISOR_ID_HIDE && !h->hyperv)
			e->ecx &= ~CPUID_1_ECX_HYPERVISOR;
	}
	if (id == KVM_HYPERVISOR_ID_HIDE)
		drop_block(t, CPUID_HV_BASE);
	else if (id == KVM_HYPERVISOR_ID_HYPERV)
		move_kvm_block(t);
	if (h->hyperv)
		add_hyperv_block(t, o->hyperv_cpuid, h->vendor, o->hyperv_synic);
	return 0;
}

unsigned kvm_phys_bits(const struct kvm *k)
{
	const struct kvm_cpuid2 *t = k->supported_cpuid;

	for (uint32_t i = 0; t && i < t->nent; i++)
		if (t->entries[i].function == 0x80000008 && (t->entries[i].eax & 0xff) >= 32)
			return t->entries[i].eax & 0xff;
	return t ? 36 : 48;
}

int cpuid_build(const struct kvm_cpuid2 *supported, const struct cpuid_options *o,
		struct kvm_cpuid2 **out)
{
	unsigned ncpus = o->ncpus;
	uint32_t apic_id = o->apic_id;
	/* Room for the topology subleaves and Hyper-V leaves we may add. */
	size_t n = supported->nent + 8 + (o->hyperv_cpuid ? o->hyperv_cpuid->nent : 0);
	struct kvm_cpuid2 *t;
	struct kvm_cpuid_entry2 *e;
	uint32_t max_basic = 0;
	int r;

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

	r = set_hypervisor(t, o);
	if (r < 0) {
		free(t);
		return r;
	}
	*out = t;
	return 0;
}
