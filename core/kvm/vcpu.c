// SPDX-License-Identifier: GPL-2.0-only
/*
 * vCPU fds: creation with per-vCPU CPUID and the LAPIC's virtual-wire
 * setup, the boot CPU's entry registers, KVM_RUN and its exits, decoded
 * into struct kvm_exit so the VMM's vCPU threads never see struct kvm_run.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/kvm/cpuid.h"
#include "core/kvm/kvm.h"
#include "core/util/cleanup.h"
#include "core/util/log.h"

/* x86 control register and EFER bits used at boot. */
#define X86_CR0_PE   (1ULL << 0)
#define X86_CR0_ET   (1ULL << 4)
#define X86_CR0_PG   (1ULL << 31)
#define X86_CR4_PAE  (1ULL << 5)
#define X86_EFER_LME (1ULL << 8)
#define X86_EFER_LMA (1ULL << 10)

/* LAPIC LVT delivery modes for LINT0/LINT1 (virtual wire, as a BIOS sets). */
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_EXTINT (7 << 8)
#define APIC_MODE_NMI    (4 << 8)

/* Hyper-V TLFS 6.0, appendix B: the status of a hypercall nobody serves. */
#define HV_STATUS_INVALID_HYPERCALL_CODE 0x0002

static int enable_cap(int fd, uint32_t cap, uint64_t arg)
{
	struct kvm_enable_cap c = { .cap = cap, .args = { arg } };

	return ioctl(fd, KVM_ENABLE_CAP, &c) < 0 ? -errno : 0;
}

/* What the Hyper-V leaves need of the vCPU before it runs. */
static int enable_hyperv(struct kvm *k, int fd, unsigned index)
{
	int r;

	if (k->hv_synic && (r = enable_cap(fd, KVM_CAP_HYPERV_SYNIC2, 0)) < 0)
		return log_error_errno(r, "vcpu %u: KVM_ENABLE_CAP KVM_CAP_HYPERV_SYNIC2: %m", index);
	/* Without it the guest could use what its CPUID leaves out. */
	if (k->hv_enforce_cpuid && (r = enable_cap(fd, KVM_CAP_HYPERV_ENFORCE_CPUID, 1)) < 0)
		return log_error_errno(r, "vcpu %u: KVM_ENABLE_CAP KVM_CAP_HYPERV_ENFORCE_CPUID: %m",
				       index);
	return 0;
}

int kvm_vcpu_create(struct kvm *k, struct kvm_vcpu *v, unsigned index, uint32_t apic_id,
		    unsigned ncpus)
{
	_cleanup_free_ struct kvm_cpuid2 *cpuid = NULL;
	struct kvm_lapic_state lapic;
	void *run;
	int fd, r;

	*v = (struct kvm_vcpu){ .kvm = k, .index = index, .apic_id = apic_id, .fd = -1 };
	fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, (unsigned long)apic_id);
	if (fd < 0)
		return log_error_errno(-errno, "vcpu %u: KVM_CREATE_VCPU: %m", index);
	v->fd = fd;
	run = mmap(NULL, (size_t)k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (run == MAP_FAILED)
		return log_error_errno(-errno, "vcpu %u: cannot map kvm_run: %m", index);
	v->run = run;
	if (index == 0 && k->coalesced_page > 0)
		k->coalesced_ring = (void *)((uint8_t *)run + k->coalesced_page * 4096);

	if (k->hypervisor.hyperv && (r = enable_hyperv(k, fd, index)) < 0)
		return r;
	r = cpuid_build(k->supported_cpuid,
			&(struct cpuid_options){ .ncpus = ncpus, .apic_id = apic_id,
						 .tsc_deadline = k->tsc_deadline,
						 .hypervisor = k->hypervisor,
						 .hyperv_cpuid = k->hv_cpuid,
						 .hyperv_synic = k->hv_synic },
			&cpuid);
	if (r < 0)
		return log_error_errno(r, "vcpu %u: cannot build CPUID: %m", index);
	if (ioctl(fd, KVM_SET_CPUID2, cpuid) < 0)
		return log_error_errno(-errno, "vcpu %u: KVM_SET_CPUID2: %m", index);

	/* LINT0 as ExtINT and LINT1 as NMI: the 8259 reaches the CPU through
	 * the LAPIC until the guest programs the IOAPIC. */
	if (!k->virtual_wire)
		return 0;
	if (ioctl(fd, KVM_GET_LAPIC, &lapic) < 0)
		return log_error_errno(-errno, "vcpu %u: KVM_GET_LAPIC: %m", index);
	*(uint32_t *)&lapic.regs[APIC_LVT0] = APIC_MODE_EXTINT;
	*(uint32_t *)&lapic.regs[APIC_LVT1] = APIC_MODE_NMI;
	if (ioctl(fd, KVM_SET_LAPIC, &lapic) < 0)
		return log_error_errno(-errno, "vcpu %u: KVM_SET_LAPIC: %m", index);
	return 0;
}

void kvm_vcpu_destroy(struct kvm_vcpu *v)
{
	struct kvm *k = v->kvm;

	if (k && v->index == 0 && k->coalesced_ring) {
		kvm_flush_coalesced(k);
		k->coalesced_ring = NULL;
	}
	if (v->run)
		munmap(v->run, (size_t)k->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

static struct kvm_segment flat_segment(uint16_t sel, uint8_t type, bool code64)
{
	return (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = sel,
		.type = type,
		.present = 1,
		.s = 1,
		.db = !code64,
		.l = code64,
		.g = 1,
	};
}

int kvm_vcpu_set_entry(struct kvm_vcpu *v, const struct kvm_vcpu_entry *e)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rflags = 2 };
	struct kvm_segment data = flat_segment(e->data_sel, 0x3, false);

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	sregs.gdt.base = e->gdt_base;
	sregs.gdt.limit = e->gdt_limit;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cs = flat_segment(e->code_sel, 0xb, e->long_mode);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	/* A busy TSS: VMX refuses to enter without a usable TR. */
	sregs.tr = (struct kvm_segment){
		.selector = e->tss_sel, .limit = 0x67, .type = 0xb, .present = 1,
	};
	sregs.ldt = (struct kvm_segment){ .unusable = 1 };

	sregs.cr0 = X86_CR0_PE | X86_CR0_ET;
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (e->long_mode) {
		sregs.cr3 = e->cr3;
		sregs.cr4 = X86_CR4_PAE;
		sregs.cr0 |= X86_CR0_PG;
		sregs.efer = X86_EFER_LME | X86_EFER_LMA;
	}
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;

	regs.rip = e->ip;
	regs.rsp = e->sp;
	regs.rsi = e->rsi;
	regs.rbx = e->rbx;
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

int kvm_vcpu_describe(struct kvm_vcpu *v, char *buf, unsigned len, bool *reset_state)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0 || ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	/* AMD SVM reinitializes the VMCB on a shutdown intercept: what is left
	 * is the reset state, not the state that faulted. */
	*reset_state = regs.rip == 0xfff0 && sregs.cs.selector == 0xf000;
	snprintf(buf, len,
		 "RIP=0x%016llx RSP=0x%016llx RFLAGS=0x%llx CS=0x%x CR0=0x%llx CR2=0x%llx "
		 "CR3=0x%llx CR4=0x%llx EFER=0x%llx",
		 regs.rip, regs.rsp, regs.rflags, sregs.cs.selector, sregs.cr0, sregs.cr2, sregs.cr3,
		 sregs.cr4, sregs.efer);
	return 0;
}

static void decode(struct kvm_vcpu *v, struct kvm_exit *x)
{
	struct kvm_run *run = v->run;

	x->kind = KVM_EXIT_KIND_FAILED;
	x->why[0] = '\0';
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		x->kind = KVM_EXIT_KIND_IO;
		x->io.port = run->io.port;
		x->io.size = run->io.size;
		x->io.out = run->io.direction == KVM_EXIT_IO_OUT;
		x->io.count = run->io.count;
		x->io.data = (uint8_t *)run + run->io.data_offset;
		/* KVM's own values; still, never let a size walk off the page. */
		if ((x->io.size != 1 && x->io.size != 2 && x->io.size != 4) ||
		    run->io.data_offset + (uint64_t)x->io.size * x->io.count > (uint64_t)v->kvm->run_size) {
			x->kind = KVM_EXIT_KIND_FAILED;
			snprintf(x->why, sizeof(x->why), "malformed I/O exit (size %u, count %u)",
				 run->io.size, run->io.count);
		}
		return;
	case KVM_EXIT_MMIO:
		x->kind = KVM_EXIT_KIND_MMIO;
		x->mmio.addr = run->mmio.phys_addr;
		x->mmio.len = run->mmio.len;
		x->mmio.write = run->mmio.is_write;
		x->mmio.data = run->mmio.data;
		if (x->mmio.len == 0 || x->mmio.len > sizeof(run->mmio.data))
			x->kind = KVM_EXIT_KIND_NONE;
		return;
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		x->kind = KVM_EXIT_KIND_NONE;
		return;
	case KVM_EXIT_SHUTDOWN:
		x->kind = KVM_EXIT_KIND_TRIPLE_FAULT;
		snprintf(x->why, sizeof(x->why), "triple fault (KVM_EXIT_SHUTDOWN)");
		return;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			x->kind = KVM_EXIT_KIND_POWEROFF;
			return;
		case KVM_SYSTEM_EVENT_RESET:
			x->kind = KVM_EXIT_KIND_RESET;
			return;
		default:
			snprintf(x->why, sizeof(x->why), "system event %u (KVM_EXIT_SYSTEM_EVENT)",
				 run->system_event.type);
			return;
		}
	case KVM_EXIT_HYPERV:
		/* SynIC's MSRs changed (nothing to remap: partvm has no VMBus),
		 * or a hypercall KVM leaves to user space, none of which the
		 * guest's CPUID offers: answer it as for an unknown one. */
		if (run->hyperv.type == KVM_EXIT_HYPERV_HCALL)
			run->hyperv.u.hcall.result = HV_STATUS_INVALID_HYPERCALL_CODE;
		x->kind = KVM_EXIT_KIND_NONE;
		return;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(x->why, sizeof(x->why),
			 "KVM internal error, suberror %u (KVM_EXIT_INTERNAL_ERROR)",
			 run->internal.suberror);
		return;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(x->why, sizeof(x->why), "VM entry failed, reason %#llx (KVM_EXIT_FAIL_ENTRY)",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return;
	default:
		snprintf(x->why, sizeof(x->why), "unhandled exit reason %u", run->exit_reason);
		return;
	}
}

int kvm_vcpu_run(struct kvm_vcpu *v, struct kvm_exit *x)
{
	int r = ioctl(v->fd, KVM_RUN, 0);
	int err = errno;

	/* Clear the kick before the caller looks at the VM's state again: a
	 * kick that lands after this is seen there, or by the next entry. */
	kvm_vcpu_clear_exit_request(v);
	if (r < 0)
		return err == EAGAIN ? -EINTR : -err;
	decode(v, x);
	return 0;
}

void kvm_vcpu_request_exit(struct kvm_vcpu *v)
{
	if (v->run)
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
}

void kvm_vcpu_clear_exit_request(struct kvm_vcpu *v)
{
	__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
}
