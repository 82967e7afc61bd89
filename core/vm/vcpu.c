// SPDX-License-Identifier: GPL-2.0-only
#include "core/vm/vcpu.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/kvm/kvm.h"
#include "core/util/kick.h"
#include "core/util/log.h"
#include "core/util/sandbox.h"
#include "core/vm/stats.h"
#include "core/vm/vm.h"

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned index)
{
	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->index = index;
	v->stats = &vm->stats[index];
	return kvm_vcpu_create(&vm->kvm, &v->kv, index, vcpu_apic_id(index), vm->ncpus);
}

void vcpu_destroy(struct vcpu *v)
{
	kvm_vcpu_destroy(&v->kv);
}

int vcpu_set_entry(struct vcpu *v, const struct kvm_vcpu_entry *e)
{
	return kvm_vcpu_set_entry(&v->kv, e);
}

void vcpu_dump_registers(struct vcpu *v, const char *why)
{
	char regs[256];
	bool reset_state = false;
	int r = kvm_vcpu_describe(&v->kv, regs, sizeof(regs), &reset_state);

	if (r < 0) {
		log_error_errno(r, "vcpu %u: %s (registers unavailable: %m)", v->index, why);
		return;
	}
	log_error("vcpu %u: %s: %s%s", v->index, why, regs,
		  reset_state ? " (reset state: this host's KVM does not keep the faulting state)" : "");
}

/* Both handlers say which bus range took the exit (NAME NULL and BASE the
 * port or page when none did), for the statistics. */
static void handle_io(struct vcpu *v, const struct kvm_exit *x, const char **name, uint64_t *base)
{
	uint8_t *data = x->io.data;
	unsigned size = x->io.size;

	*base = x->io.port;
	/* A string instruction (rep outsb/insb) arrives as COUNT items. */
	for (uint32_t i = 0; i < x->io.count; i++, data += size) {
		uint64_t val = 0;

		if (x->io.out) {
			memcpy(&val, data, size);
			bus_access(&v->vm->pio, x->io.port, size, true, &val, name, base);
		} else {
			if (!bus_access(&v->vm->pio, x->io.port, size, false, &val, name, base))
				val = ~0ULL;   /* nothing decodes the port: floating bus */
			memcpy(data, &val, size);
		}
	}
}

static void handle_mmio(struct vcpu *v, const struct kvm_exit *x, const char **name, uint64_t *base)
{
	unsigned len = x->mmio.len;
	uint64_t val = 0;

	*base = x->mmio.addr & ~0xfffull;
	if (x->mmio.write) {
		memcpy(&val, x->mmio.data, len);
		bus_access(&v->vm->mmio, x->mmio.addr, len, true, &val, name, base);
	} else {
		if (!bus_access(&v->vm->mmio, x->mmio.addr, len, false, &val, name, base))
			val = ~0ULL;   /* master abort */
		memcpy(x->mmio.data, &val, len);
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
static bool handle_exit(struct vcpu *v, struct kvm_exit *x)
{
	const char *name = NULL;
	uint64_t base = 0, start = stats_now_ns(), now;

	/* Queued writes happened before this exit's access. */
	kvm_flush_coalesced(&v->vm->kvm);

	switch (x->kind) {
	case KVM_EXIT_KIND_IO:
	case KVM_EXIT_KIND_MMIO:
		if (x->kind == KVM_EXIT_KIND_IO)
			handle_io(v, x, &name, &base);
		else
			handle_mmio(v, x, &name, &base);
		now = stats_now_ns();
		stats_record_exit(v->stats, x->kind, now - start);
		stats_record_access(v->stats, x->kind == KVM_EXIT_KIND_IO ? STATS_PIO : STATS_MMIO, name,
				    base, start - v->vm->start_ns, now - start);
		return true;
	case KVM_EXIT_KIND_NONE:
		stats_record_exit(v->stats, x->kind, 0);
		return true;
	case KVM_EXIT_KIND_POWEROFF:
		vm_request_stop(v->vm, VM_STOP_POWEROFF, 0);
		return false;
	case KVM_EXIT_KIND_RESET:
		vm_request_stop(v->vm, VM_STOP_RESET, 0);
		return false;
	case KVM_EXIT_KIND_TRIPLE_FAULT:
	case KVM_EXIT_KIND_FAILED:
	default:
		crash(v, "%s", x->why[0] ? x->why : "unknown exit");
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

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	bool ran = false;
	char name[16];

	/* Named by itself, before anything it does can be reported (a
	 * forbidden call's line names the thread): named by its creator after
	 * pthread_create(), it could get there first. */
	snprintf(name, sizeof(name), "vcpu%u", v->index);
	pthread_setname_np(pthread_self(), name);
	v->tid = gettid();
	thread_kick_accept();
	if (sandbox_enter(&v->vm->sandbox, SANDBOX_VCPU) < 0) {
		crash(v, "cannot enter the vCPU's seccomp filter");
		return NULL;
	}

	while (wait_runnable(v)) {
		struct kvm_exit x;
		uint64_t t = stats_now_ns();
		int r;

		/* Once a thread: not an atomic on every exit of the boot. */
		if (!ran)
			vm_mark_startup(v->vm, STATS_PHASE_FIRST_RUN, t);
		ran = true;
		r = kvm_vcpu_run(&v->kv, &x);

		__atomic_store_n(&v->stats->run_ns, v->stats->run_ns + (stats_now_ns() - t), __ATOMIC_RELAXED);
		if (r == -EINTR)
			continue;
		if (r < 0) {
			crash(v, "KVM_RUN failed: %s", strerror(-r));
			break;
		}
		if (!handle_exit(v, &x))
			break;
	}
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	int r;

	thread_kick_install();
	r = pthread_create(&v->thread, NULL, vcpu_thread, v);
	if (r)
		return -r;
	v->thread_started = true;
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (!v->thread_started)
		return;
	kvm_vcpu_request_exit(&v->kv);
	thread_kick(v->thread);
}

void vcpu_join(struct vcpu *v)
{
	if (!v->thread_started)
		return;
	pthread_join(v->thread, NULL);
	v->thread_started = false;
}
