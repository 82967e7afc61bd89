// SPDX-License-Identifier: GPL-2.0-only
#include "core/vcpu.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/boot/boot.h"
#include "core/util/cleanup.h"
#include "core/cpuid.h"
#include "core/kvm.h"
#include "core/util/log.h"
#include "core/vm.h"

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

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned index)
{
	_cleanup_free_ struct kvm_cpuid2 *cpuid = NULL;
	struct kvm_lapic_state lapic;
	void *run;
	int fd, r;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->index = index;
	v->apic_id = vcpu_apic_id(index);
	v->fd = -1;

	fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->apic_id);
	if (fd < 0)
		return log_error_errno(-errno, "vcpu %u: KVM_CREATE_VCPU: %m", index);
	v->fd = fd;
	run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (run == MAP_FAILED)
		return log_error_errno(-errno, "vcpu %u: cannot map kvm_run: %m", index);
	v->run = run;
	if (index == 0 && vm->coalesced_page > 0)
		vm->coalesced_ring = (void *)((uint8_t *)run + vm->coalesced_page * 4096);

	r = cpuid_build(vm->supported_cpuid,
			&(struct cpuid_options){ .ncpus = vm->ncpus, .apic_id = v->apic_id,
						 .tsc_deadline = vm->tsc_deadline },
			&cpuid);
	if (r < 0)
		return log_error_errno(r, "vcpu %u: cannot build CPUID: %m", index);
	if (ioctl(fd, KVM_SET_CPUID2, cpuid) < 0)
		return log_error_errno(-errno, "vcpu %u: KVM_SET_CPUID2: %m", index);

	/* LINT0 as ExtINT and LINT1 as NMI: the 8259 reaches the CPU through
	 * the LAPIC until the guest programs the IOAPIC. */
	if (ioctl(fd, KVM_GET_LAPIC, &lapic) < 0)
		return log_error_errno(-errno, "vcpu %u: KVM_GET_LAPIC: %m", index);
	*(uint32_t *)&lapic.regs[APIC_LVT0] = APIC_MODE_EXTINT;
	*(uint32_t *)&lapic.regs[APIC_LVT1] = APIC_MODE_NMI;
	if (ioctl(fd, KVM_SET_LAPIC, &lapic) < 0)
		return log_error_errno(-errno, "vcpu %u: KVM_SET_LAPIC: %m", index);
	return 0;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->index == 0 && v->vm->coalesced_ring) {
		kvm_flush_coalesced(v->vm);
		v->vm->coalesced_ring = NULL;
	}
	if (v->run)
		munmap(v->run, v->vm->run_size);
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

int vcpu_set_boot_state(struct vcpu *v, const struct boot_entry *e)
{
	bool long_mode = e->mode == BOOT_MODE_LONG;
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rflags = 2 };
	struct kvm_segment data = flat_segment(BOOT_GDT_DATA, 0x3, false);

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	sregs.gdt.base = BOOT_GDT_ADDR;
	sregs.gdt.limit = 6 * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cs = flat_segment(BOOT_GDT_CODE, 0xb, long_mode);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	/* A busy TSS: VMX refuses to enter without a usable TR. */
	sregs.tr = (struct kvm_segment){
		.selector = BOOT_GDT_TSS, .limit = 0x67, .type = 0xb, .present = 1,
	};
	sregs.ldt = (struct kvm_segment){ .unusable = 1 };

	sregs.cr0 = X86_CR0_PE | X86_CR0_ET;
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (long_mode) {
		sregs.cr3 = e->cr3;
		sregs.cr4 = X86_CR4_PAE;
		sregs.cr0 |= X86_CR0_PG;
		sregs.efer = X86_EFER_LME | X86_EFER_LMA;
	}
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;

	regs.rip = e->ip;
	regs.rsp = e->sp;
	if (long_mode)
		regs.rsi = e->arg;
	else
		regs.rbx = e->arg;
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

void vcpu_dump_registers(struct vcpu *v, const char *why)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0 || ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0) {
		log_error("vcpu %u: %s (registers unavailable: %m)", v->index, why);
		return;
	}
	/* AMD SVM reinitializes the VMCB on a shutdown intercept: what is left
	 * is the reset state, not the state that faulted. Say so. */
	bool reset_state = regs.rip == 0xfff0 && sregs.cs.selector == 0xf000;

	log_error("vcpu %u: %s: RIP=0x%016llx RSP=0x%016llx RFLAGS=0x%llx CS=0x%x "
		  "CR0=0x%llx CR2=0x%llx CR3=0x%llx CR4=0x%llx EFER=0x%llx%s",
		  v->index, why, regs.rip, regs.rsp, regs.rflags, sregs.cs.selector, sregs.cr0,
		  sregs.cr2, sregs.cr3, sregs.cr4, sregs.efer,
		  reset_state ? " (reset state: this host's KVM does not keep the faulting state)" : "");
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size;

	/* A string instruction (rep outsb/insb) arrives as COUNT items. */
	for (uint32_t i = 0; i < run->io.count; i++, data += size) {
		uint64_t val = 0;

		if (run->io.direction == KVM_EXIT_IO_OUT) {
			memcpy(&val, data, size);
			bus_write(&v->vm->pio, run->io.port, size, val);
		} else {
			if (!bus_read(&v->vm->pio, run->io.port, size, &val))
				val = ~0ULL;   /* nothing decodes the port: floating bus */
			memcpy(data, &val, size);
		}
	}
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned len = run->mmio.len;
	uint64_t val = 0;

	if (len == 0 || len > sizeof(run->mmio.data))
		return;
	if (run->mmio.is_write) {
		memcpy(&val, run->mmio.data, len);
		bus_write(&v->vm->mmio, run->mmio.phys_addr, len, val);
	} else {
		if (!bus_read(&v->vm->mmio, run->mmio.phys_addr, len, &val))
			val = ~0ULL;   /* master abort */
		memcpy(run->mmio.data, &val, len);
	}
}

static void crash(struct vcpu *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void crash(struct vcpu *v, const char *fmt, ...)
{
	struct vm *vm = v->vm;
	char why[256];
	bool first;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);

	/* Only the first crashing vCPU dumps its registers. */
	pthread_mutex_lock(&vm->lock);
	first = vm->stop_reason == VM_STOP_NONE;
	pthread_mutex_unlock(&vm->lock);
	if (first)
		vcpu_dump_registers(v, why);
	vm_request_stop(vm, VM_STOP_CRASH, 1);
}

/* Returns false when the vCPU must stop running. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	/* Queued writes happened before this exit's access. */
	kvm_flush_coalesced(v->vm);

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		handle_mmio(v);
		return true;
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return true;
	case KVM_EXIT_SHUTDOWN:
		crash(v, "triple fault (KVM_EXIT_SHUTDOWN)");
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			vm_request_stop(v->vm, VM_STOP_POWEROFF, 0);
			return false;
		case KVM_SYSTEM_EVENT_RESET:
			vm_request_stop(v->vm, VM_STOP_RESET, 0);
			return false;
		default:
			crash(v, "system event %u (KVM_EXIT_SYSTEM_EVENT)", run->system_event.type);
			return false;
		}
	case KVM_EXIT_INTERNAL_ERROR:
		crash(v, "KVM internal error, suberror %u (KVM_EXIT_INTERNAL_ERROR)",
		      run->internal.suberror);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		crash(v, "VM entry failed, reason %#llx (KVM_EXIT_FAIL_ENTRY)",
		      (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return false;
	default:
		crash(v, "unhandled exit reason %u", run->exit_reason);
		return false;
	}
}

/* Wait while the VM is paused; false once it is stopping. */
static bool wait_runnable(struct vcpu *v)
{
	struct vm *vm = v->vm;
	bool run;

	pthread_mutex_lock(&vm->lock);
	while (vm->state == VM_STATE_PAUSED) {
		if (!v->parked) {
			v->parked = true;
			vm->parked++;
			pthread_cond_broadcast(&vm->cond);
		}
		pthread_cond_wait(&vm->cond, &vm->lock);
	}
	if (v->parked) {
		v->parked = false;
		vm->parked--;
	}
	run = vm->state == VM_STATE_RUNNING;
	pthread_mutex_unlock(&vm->lock);
	return run;
}

static void kick_handler(int sig)
{
	(void)sig;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	sigset_t set;

	v->tid = gettid();
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (wait_runnable(v)) {
		int r = ioctl(v->fd, KVM_RUN, 0);
		int err = errno;

		/* Clear the kick before looking at the state again: a kick that
		 * lands after this is seen by wait_runnable() or the next entry. */
		__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
		if (r < 0) {
			if (err == EINTR || err == EAGAIN)
				continue;
			errno = err;
			crash(v, "KVM_RUN failed: %m");
			break;
		}
		if (!handle_exit(v))
			break;
	}
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	char name[16];
	int r;

	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
	r = pthread_create(&v->thread, NULL, vcpu_thread, v);
	if (r)
		return -r;
	snprintf(name, sizeof(name), "vcpu%u", v->index);
	pthread_setname_np(v->thread, name);
	v->thread_started = true;
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (!v->thread_started)
		return;
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

void vcpu_join(struct vcpu *v)
{
	if (!v->thread_started)
		return;
	pthread_join(v->thread, NULL);
	v->thread_started = false;
}
