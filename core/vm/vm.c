// SPDX-License-Identifier: GPL-2.0-only
#include "core/vm/vm.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/acpi/acpi.h"
#include "core/boot/boot.h"
#include "core/util/cleanup.h"
#include "core/devices/platform.h"
#include "core/devices/pm.h"
#include "core/devices/rtc.h"
#include "core/devices/serial.h"
#include "core/kvm/kvm.h"
#include "core/util/log.h"
#include "core/vm/loop.h"
#include "core/vm/pci.h"
#include "core/tpm/vtpm.h"
#include "core/vm/resources.h"
#include "core/service/service.h"
#include "core/vm/vcpu.h"
#include "vfio/vfio.h"

/*
 * The platform, in start order (stopped in reverse). Each hook is optional.
 *   init   once, after guest RAM exists: register on the buses.
 *   attach every boot, once the KVM VM and its vCPUs exist and the kernel
 *          is loaded, before any vCPU runs (irqfds, KVM devices, memory
 *          slots, measurements: everything tied to the VM fd).
 *   detach every boot, after the vCPUs stopped, before the VM fd closes;
 *          also after a boot that failed part-way, so it must cope with an
 *          attach that never ran.
 *   reset  between a guest reboot and the next boot.
 *   exit   once, at the end.
 * A component whose init logs its own one-line error sets logs_errors.
 */
struct vm_component {
	const char *name;
	int (*init)(struct vm *vm);
	int (*attach)(struct vm *vm);
	void (*detach)(struct vm *vm);
	void (*reset)(struct vm *vm);
	void (*exit)(struct vm *vm);
	bool logs_errors;
};

static void serial_reset_vm(struct vm *vm)
{
	serial_reset(vm->serial);
}

static void pm_reset_vm(struct vm *vm)
{
	pm_reset(vm->pm);
}

static const struct vm_component components[] = {
	{ "serial", .init = serial_init, .reset = serial_reset_vm, .exit = serial_exit },
	{ "rtc", .init = rtc_init, .exit = rtc_exit },
	{ "i8042", .init = i8042_init, .exit = i8042_exit },
	{ "debug-exit", .init = debug_exit_init },
	{ "acpi-pm", .init = pm_init, .reset = pm_reset_vm, .exit = pm_exit },
	/* Before anything that pins guest RAM: its init forks swtpm. */
	{ "tpm", .init = vtpm_init, .attach = vtpm_attach, .exit = vtpm_exit },
	{ "pci", .init = pci_host_init, .attach = pci_host_attach, .reset = pci_host_reset,
	  .exit = pci_host_exit },
	{ "vfio", .init = vfio_init, .attach = vfio_attach, .detach = vfio_detach,
	  .exit = vfio_exit, .logs_errors = true },
};

int vm_set_irq_line(struct vm *vm, unsigned gsi, bool level)
{
	return kvm_set_irq_line(&vm->kvm, gsi, level);
}

/* Writes KVM queued (kvm_coalesce_pio()), replayed on the buses. */
static void replay_write(void *opaque, bool pio, uint64_t addr, unsigned len, uint64_t value)
{
	struct vm *vm = opaque;

	bus_write(pio ? &vm->pio : &vm->mmio, addr, len, value);
}

void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, int status)
{
	uint64_t one = 1;

	pthread_mutex_lock(&vm->lock);
	if (vm->stop_reason == VM_STOP_NONE) {
		vm->stop_reason = reason;
		vm->stop_status = status;
	}
	vm->state = VM_STATE_STOPPING;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	(void)!write(vm->event_fd, &one, sizeof(one));
}

int vm_pause(struct vm *vm)
{
	int r = 0;

	pthread_mutex_lock(&vm->lock);
	if (vm->state != VM_STATE_RUNNING) {
		r = vm->state == VM_STATE_PAUSED ? 0 : -EBUSY;
		goto out;
	}
	vm->state = VM_STATE_PAUSED;
	pthread_mutex_unlock(&vm->lock);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	pthread_mutex_lock(&vm->lock);
	/* Paused means every vCPU thread is out of KVM_RUN and parked. */
	while (vm->state == VM_STATE_PAUSED && vm->parked < vm->ncpus)
		pthread_cond_wait(&vm->cond, &vm->lock);
out:
	pthread_mutex_unlock(&vm->lock);
	return r;
}

int vm_resume(struct vm *vm)
{
	int r = 0;

	pthread_mutex_lock(&vm->lock);
	if (vm->state == VM_STATE_PAUSED) {
		vm->state = VM_STATE_RUNNING;
		pthread_cond_broadcast(&vm->cond);
	} else if (vm->state != VM_STATE_RUNNING) {
		r = -EBUSY;
	}
	pthread_mutex_unlock(&vm->lock);
	return r;
}

int vm_create(struct vm *vm, const struct vm_config *cfg)
{
	const char *dev = cfg->kvm_device ? cfg->kvm_device : "/dev/kvm";
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->event_fd = -1;
	vm->ncpus = cfg->cpus;
	kvm_init(&vm->kvm);
	vm->kvm.replay = replay_write;
	vm->kvm.replay_opaque = vm;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);

	vm->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->event_fd < 0)
		return log_error_errno(-errno, "eventfd: %m");

	r = kvm_open(&vm->kvm, dev);
	if (r < 0)
		return r;
	if (vm->ncpus > vm->kvm.max_vcpus)
		return log_error_errno(-EINVAL, "cpus = %u: this host's KVM allows at most %u "
					       "(KVM_CAP_MAX_VCPUS)", vm->ncpus, vm->kvm.max_vcpus);

	/* Guest RAM as [partition] asks (backing, NUMA node, mlock), and the
	 * VMM's own threads off the vCPUs' host CPUs. */
	r = resources_setup(vm);
	if (r < 0)
		return r;
	vm->vcpus = calloc(vm->ncpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -ENOMEM;
	/* Whole from the start: vm_destroy() tears down what a failed
	 * vm_create() left, vCPUs that were never created included. */
	for (unsigned i = 0; i < vm->ncpus; i++)
		vm->vcpus[i] = (struct vcpu){ .vm = vm, .index = i, .kv.fd = -1 };

	r = bus_init(&vm->pio, "pio");
	if (r < 0)
		return r;
	r = bus_init(&vm->mmio, "mmio");
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(components); i++) {
		if (!components[i].init)
			continue;
		r = components[i].init(vm);
		if (r < 0 && components[i].logs_errors)
			return r;
		if (r < 0)
			return log_error_errno(r, "cannot set up %s: %m", components[i].name);
	}
	return 0;
}

void vm_destroy(struct vm *vm)
{
	for (size_t i = ARRAY_SIZE(components); i-- > 0;)
		if (components[i].exit)
			components[i].exit(vm);
	for (unsigned i = 0; vm->vcpus && i < vm->ncpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	vm->vcpus = NULL;
	kvm_release(&vm->kvm);
	if (vm->event_fd >= 0)
		close(vm->event_fd);
	memory_unmap(&vm->mem);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	pthread_mutex_destroy(&vm->lock);
	pthread_cond_destroy(&vm->cond);
}

/* Guest RAM into KVM memory slots, one per region of the layout. */
static int map_ram(struct vm *vm)
{
	const struct mem_layout *l = &vm->mem.layout;

	for (unsigned i = 0; i < l->nregions; i++) {
		const struct mem_region *m = &l->regions[i];
		int slot = kvm_alloc_memory_slot(&vm->kvm), r;

		if (slot < 0)
			return log_error_errno(slot, "no KVM memory slot left for guest RAM");
		r = kvm_set_memory_slot(&vm->kvm, (unsigned)slot, m->gpa, m->size,
					vm->mem.host + m->host_offset);
		if (r < 0)
			return log_error_errno(r, "cannot map %llu MiB of guest RAM at 0x%llx: %m",
					       (unsigned long long)(m->size >> 20),
					       (unsigned long long)m->gpa);
	}
	return 0;
}

/* Create the KVM VM and its vCPUs, load the kernel, and start the vCPUs. */
static int boot(struct vm *vm)
{
	struct boot_entry entry;
	int r;

	r = kvm_create_vm(&vm->kvm);
	if (r < 0)
		return r;
	r = map_ram(vm);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		r = vcpu_create(vm, &vm->vcpus[i], i);
		if (r < 0)
			return r;
	}
	r = acpi_setup(vm);
	if (r < 0)
		return r;
	r = boot_load(vm, &entry);
	if (r < 0)
		return r;
	r = vcpu_set_entry(&vm->vcpus[0], &(struct kvm_vcpu_entry){
		.long_mode = entry.mode == BOOT_MODE_LONG,
		.ip = entry.ip, .sp = entry.sp, .cr3 = entry.cr3,
		.rsi = entry.mode == BOOT_MODE_LONG ? entry.arg : 0,
		.rbx = entry.mode == BOOT_MODE_LONG ? 0 : entry.arg,
		.gdt_base = BOOT_GDT_ADDR, .gdt_limit = 6 * 8 - 1,
		.code_sel = BOOT_GDT_CODE, .data_sel = BOOT_GDT_DATA, .tss_sel = BOOT_GDT_TSS,
	});
	if (r < 0)
		return log_error_errno(r, "cannot set the boot CPU's registers: %m");
	for (size_t i = 0; i < ARRAY_SIZE(components); i++) {
		if (!components[i].attach)
			continue;
		r = components[i].attach(vm);
		if (r < 0 && components[i].logs_errors)
			return r;
		if (r < 0)
			return log_error_errno(r, "cannot attach %s to the VM: %m", components[i].name);
	}

	pthread_mutex_lock(&vm->lock);
	vm->state = VM_STATE_RUNNING;
	vm->stop_reason = VM_STOP_NONE;
	vm->boots++;
	pthread_mutex_unlock(&vm->lock);
	for (unsigned i = 0; i < vm->ncpus; i++) {
		r = vcpu_start(&vm->vcpus[i]);
		if (r < 0)
			return log_error_errno(r, "cannot start vcpu %u: %m", i);
	}
	return resources_pin_vcpus(vm);
}

/* Stop every vCPU thread and drop the KVM VM (irqchip, PIT, slots). */
static void teardown(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->state = VM_STATE_STOPPING;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_join(&vm->vcpus[i]);
	for (size_t i = ARRAY_SIZE(components); i-- > 0;)
		if (components[i].detach)
			components[i].detach(vm);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	kvm_destroy_vm(&vm->kvm);
}

static int reset(struct vm *vm)
{
	for (size_t i = 0; i < ARRAY_SIZE(components); i++)
		if (components[i].reset)
			components[i].reset(vm);
	return memory_clear(&vm->mem);
}

int vm_run(struct vm *vm)
{
	struct loop *loop;
	sigset_t set, old;
	int r, status;

	/* Only the loop's signalfd sees these; vCPU threads inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, &old);

	loop = loop_create(vm);
	if (!loop) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return log_error_errno(-ENOMEM, "cannot set up the event loop"), 1;
	}

	/* The control socket and sd_notify; a live partition of the same
	 * name refuses the start. */
	if (service_start(vm, loop) < 0) {
		status = 1;
		goto out;
	}
	for (;;) {
		service_booting(vm);
		r = boot(vm);
		if (r < 0) {
			teardown(vm);
			status = 1;
			break;
		}
		service_booted(vm);
		r = loop_run(loop);
		if (r < 0) {
			log_error_errno(r, "event loop failed: %m");
			vm_request_stop(vm, VM_STOP_ERROR, 1);
		}
		teardown(vm);

		switch (vm->stop_reason) {
		case VM_STOP_RESET:
			if (vm->cfg->no_reboot) {
				log_info("guest asked for a reboot; exiting (--no-reboot)");
				status = 0;
				goto out;
			}
			r = reset(vm);
			if (r < 0) {
				log_error_errno(r, "cannot reset the VM: %m");
				status = 1;
				goto out;
			}
			continue;
		case VM_STOP_POWEROFF:
		case VM_STOP_QUIT:
			status = 0;
			goto out;
		case VM_STOP_DEBUG_EXIT:
		case VM_STOP_SIGNAL:
			status = vm->stop_status;
			goto out;
		default:
			status = 1;
			goto out;
		}
	}
out:
	service_stop(vm);
	loop_free(loop);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return status;
}
