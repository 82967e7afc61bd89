/* SPDX-License-Identifier: GPL-2.0-only */
/* Per-vCPU CPUID: KVM's supported leaves with this vCPU's topology. */
#ifndef PARTVM_CPUID_H
#define PARTVM_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * Build the CPUID table of one vCPU from KVM_GET_SUPPORTED_CPUID:
 * APIC IDs in leaves 1, 0xB, 0x1F and AMD's 0x8000001E, one core per vCPU
 * in one package (leaves 1, 4, 0xB/0x1F and 0x80000008 agree on the count),
 * and the hypervisor bit. Returns 0 with *OUT allocated, or -ENOMEM.
 */
struct cpuid_options {
	unsigned ncpus;
	uint32_t apic_id;
	/* KVM_CAP_TSC_DEADLINE_TIMER: KVM emulates the TSC-deadline LAPIC
	 * timer but leaves the bit out of KVM_GET_SUPPORTED_CPUID. */
	bool tsc_deadline;
};

int cpuid_build(const struct kvm_cpuid2 *supported, const struct cpuid_options *o,
		struct kvm_cpuid2 **out);

/* The entry for FUNCTION/INDEX in T, or NULL. */
struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *t, uint32_t function, uint32_t index);

#endif
