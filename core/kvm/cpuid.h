/* SPDX-License-Identifier: GPL-2.0-only */
/* Per-vCPU CPUID: KVM's supported leaves with this vCPU's topology. */
#ifndef PARTVM_CPUID_H
#define PARTVM_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/kvm/kvm.h"

/*
 * Build the CPUID table of one vCPU from KVM_GET_SUPPORTED_CPUID:
 * APIC IDs in leaves 1, 0xB, 0x1F and AMD's 0x8000001E, one core per vCPU
 * in one package (leaves 1, 4, 0xB/0x1F and 0x80000008 agree on the count),
 * the hypervisor bit, and the hypervisor leaves from 0x40000000 as
 * O->hypervisor says: KVM's, or Hyper-V's (from O->hyperv_cpuid) with
 * KVM's moved to 0x40000100 or left out. The Hyper-V leaves depend on
 * nothing per vCPU. Returns 0 with *OUT allocated, -ENOMEM, or -EINVAL for
 * Hyper-V without O->hyperv_cpuid or with KVM's leaves at 0x40000000.
 */
struct cpuid_options {
	unsigned ncpus;
	uint32_t apic_id;
	/* KVM_CAP_TSC_DEADLINE_TIMER: KVM emulates the TSC-deadline LAPIC
	 * timer but leaves the bit out of KVM_GET_SUPPORTED_CPUID. */
	bool tsc_deadline;
	struct kvm_hypervisor hypervisor;
	/* KVM_GET_SUPPORTED_HV_CPUID, for hypervisor.hyperv. */
	const struct kvm_cpuid2 *hyperv_cpuid;
	/* KVM_CAP_HYPERV_SYNIC2 is enabled on the vCPU: SynIC and synthetic
	 * timers work and may be offered. */
	bool hyperv_synic;
};

int cpuid_build(const struct kvm_cpuid2 *supported, const struct cpuid_options *o,
		struct kvm_cpuid2 **out);

/* The entry for FUNCTION/INDEX in T, or NULL. */
struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *t, uint32_t function, uint32_t index);

#endif
