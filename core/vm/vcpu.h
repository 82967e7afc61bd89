/* SPDX-License-Identifier: GPL-2.0-only */
/* vCPU threads: one POSIX thread each running KVM_RUN (core/kvm/), with
 * the exits dispatched to the buses and run control (pause, stop). */
#ifndef PARTVM_VCPU_H
#define PARTVM_VCPU_H

#include <stdint.h>

#include "core/util/kick.h"

struct vm;
struct vcpu;
struct kvm_vcpu_entry;

/* Signal used to kick a vCPU thread out of KVM_RUN (core/util/kick.h). */
#define VCPU_KICK_SIGNAL THREAD_KICK_SIGNAL

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned index);
void vcpu_destroy(struct vcpu *v);

/* Registers for the boot CPU at the kernel's entry point. */
int vcpu_set_entry(struct vcpu *v, const struct kvm_vcpu_entry *e);

int vcpu_start(struct vcpu *v);
void vcpu_kick(struct vcpu *v);
void vcpu_join(struct vcpu *v);

/* The one-line register dump printed when a guest crashes. */
void vcpu_dump_registers(struct vcpu *v, const char *why);

/* APIC ID of vCPU INDEX: dense, one thread per core, one core per vCPU. */
static inline uint32_t vcpu_apic_id(unsigned index)
{
	return index;
}

#endif
