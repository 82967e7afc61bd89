// SPDX-License-Identifier: GPL-2.0-only
#include "core/vm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/acpi/acpi.h"
#include "core/boot/boot.h"
#include "core/kvm/kvm.h"
#include "core/util/cleanup.h"
#include "core/util/log.h"
#include "core/vm/console.h"
#include "core/vm/console_output.h"
#include "core/vm/device.h"
#include "core/vm/loop.h"
#include "core/vm/pci.h"
#include "core/vm/resources.h"
#include "core/vm/vcpu.h"

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

static void on_vm_event(struct loop *l, int fd, uint32_t events, void *opaque)
{
	uint64_t v;

	(void)!read(fd, &v, sizeof(v));
}

bool vm_stop_requested(struct vm *vm)
{
	bool stop;

	pthread_mutex_lock(&vm->lock);
	stop = vm->stop_reason != VM_STOP_NONE;
	pthread_mutex_unlock(&vm->lock);
	return stop;
}

static bool stop_requested(void *opaque)
{
	return vm_stop_requested(opaque);
}

int vm_wait(struct vm *vm)
{
	return loop_run(vm->loop, stop_requested, vm);
}

int vm_power_button(struct vm *vm)
{
	return devices_power_button(vm);
}

void vm_mark_startup(struct vm *vm, enum stats_phase p, uint64_t now)
{
	/* vm_boot() counts the boot before it starts the vCPUs. */
	if (vm->boots == (p >= STATS_PHASE_STARTED ? 1u : 0u))
		stats_mark(&vm->startup, p, vm->start_ns, now);
}

static void mark(struct vm *vm, enum stats_phase p)
{
	vm_mark_startup(vm, p, stats_now_ns());
}

int vm_create(struct vm *vm, const struct vm_config *cfg)
{
	const char *dev = cfg->kvm_device ? cfg->kvm_device : "/dev/kvm";
	struct kvm_hypervisor hypervisor = config_hypervisor(cfg);
	char at[300];
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->start_ns = stats_now_ns();
	if (cfg->started_ns && cfg->started_ns < vm->start_ns)
		vm->startup.before_ns = vm->start_ns - cfg->started_ns;
	vm->cfg = cfg;
	vm->event_fd = -1;
	vm->boot_fds[0] = vm->boot_fds[1] = -1;
	vm->ncpus = cfg->cpus;
	kvm_init(&vm->kvm);
	/* A firmware sets up the LAPIC's virtual wire itself (edk2's
	 * ProgramVirtualWireMode), from the reset state. */
	vm->kvm.virtual_wire = !cfg->firmware;
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
	mark(vm, STATS_PHASE_KVM);
	r = kvm_set_hypervisor(&vm->kvm, &hypervisor);
	if (r == -EOPNOTSUPP)
		return log_error_errno(r, "%shyperv = yes: this host's KVM has no Hyper-V emulation (no "
				       "KVM_CAP_HYPERV or KVM_GET_SUPPORTED_HV_CPUID; from Linux 6.8 it "
				       "needs CONFIG_KVM_HYPERV)",
				       config_where(cfg, cfg->hyperv_line, at, sizeof(at)));
	if (r < 0)
		return log_error_errno(r, "%shyperv = yes: KVM_GET_SUPPORTED_HV_CPUID: %m",
				       config_where(cfg, cfg->hyperv_line, at, sizeof(at)));

	/* Guest RAM as [partition] asks (backing, NUMA node, mlock), and the
	 * VMM's own threads off the vCPUs' host CPUs. */
	r = resources_setup(vm);
	if (r < 0)
		return r;
	/* Off the vCPUs' host CPUs like the VMM's other threads. */
	kvm_prepare_vm(&vm->kvm);
	mark(vm, STATS_PHASE_RAM);
	/* Going on as another user: later boots cannot open the kernel and
	 * initrd again (Debian's kernels are root's alone). */
	if (cfg->user) {
		const char *paths[2] = { cfg->kernel ? cfg->kernel : cfg->firmware, cfg->initrd };

		vm->boot_fds_kept = true;
		for (int i = 0; i < 2; i++)
			if (paths[i] && (vm->boot_fds[i] = open(paths[i], O_RDONLY | O_CLOEXEC)) < 0)
				return log_error_errno(-errno, "%s '%s': cannot open: %m",
						       i ? "initrd" : cfg->kernel ? "kernel" : "firmware",
						       paths[i]);
	}
	/* Before the first thread: each enters its own seccomp filter. */
	r = sandbox_init(&vm->sandbox, cfg->seccomp);
	if (r < 0)
		return log_error_errno(r, "cannot set up the seccomp filters: %m");
	if (cfg->seccomp == SANDBOX_OFF)
		log_warning("seccomp = off: partvm's threads run without their system call filters");
	else if (cfg->seccomp == SANDBOX_LOG)
		log_debug("seccomp = log: system calls outside a thread's filter are logged by the "
			  "kernel (audit), not stopped");
	/* Console output: buffered and drained by its own thread, so that
	 * a stdout nobody reads never stops a vCPU. */
	r = console_output_create(&vm->console_out, STDOUT_FILENO, CONSOLE_OUTPUT_BUFFER, &vm->sandbox);
	if (r < 0)
		return log_error_errno(r, "cannot set up the console output: %m");
	vm->vcpus = calloc(vm->ncpus, sizeof(*vm->vcpus));
	vm->stats = calloc(vm->ncpus, sizeof(*vm->stats));
	if (!vm->vcpus || !vm->stats)
		return -ENOMEM;
	/* Whole from the start: vm_destroy() tears down what a failed
	 * vm_create() left, vCPUs that were never created included. */
	for (unsigned i = 0; i < vm->ncpus; i++)
		vm->vcpus[i] = (struct vcpu){ .vm = vm, .index = i, .kv.fd = -1, .stats = &vm->stats[i] };

	r = bus_init(&vm->pio, "pio");
	if (r < 0)
		return r;
	r = bus_init(&vm->mmio, "mmio");
	if (r < 0)
		return r;
	vm->loop = loop_create();
	if (!vm->loop)
		return log_error_errno(-ENOMEM, "cannot set up the event loop: %m");
	r = loop_add(vm->loop, vm->event_fd, EPOLLIN, on_vm_event, vm);
	if (r < 0)
		return log_error_errno(r, "cannot set up the event loop: %m");
	r = pci_host_init(vm);
	if (r < 0)
		return log_error_errno(r, "cannot set up the PCI host bridge: %m");
	r = devices_create(vm, vm->loop);
	if (r < 0)
		return r;
	pci_host_size_mmio64(vm);
	log_debug("64-bit PCI window: %llu GiB at 0x%llx",
		  (unsigned long long)(vm->mem.layout.mmio64_size >> 30),
		  (unsigned long long)vm->mem.layout.mmio64_base);
	r = console_start(vm, vm->loop);
	if (r < 0)
		return log_error_errno(r, "cannot connect the console: %m");
	mark(vm, STATS_PHASE_DEVICES);
	return 0;
}

void vm_destroy(struct vm *vm)
{
	console_stop(vm);
	devices_free(vm);
	strv_freep(&vm->guest_credentials);
	/* What the guest said last still reaches stdout, unless nobody
	 * takes it within a second. */
	console_output_free(vm->console_out, 1000);
	sandbox_free(&vm->sandbox);
	vm->console_out = NULL;
	pci_host_exit(vm);
	for (unsigned i = 0; vm->vcpus && i < vm->ncpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	free(vm->stats);
	for (int i = 0; vm->boot_fds_kept && i < 2; i++)
		if (vm->boot_fds[i] >= 0)
			close(vm->boot_fds[i]);
	vm->vcpus = NULL;
	kvm_release(&vm->kvm);
	loop_free(vm->loop);
	vm->loop = NULL;
	if (vm->event_fd >= 0)
		close(vm->event_fd);
	vm->event_fd = -1;
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

int vm_boot(struct vm *vm)
{
	struct boot_entry entry;
	int r;

	r = kvm_create_vm(&vm->kvm);
	if (r < 0)
		return r;
	r = map_ram(vm);
	if (r < 0)
		return r;
	r = kvm_create_irqchip(&vm->kvm);
	if (r < 0)
		return r;
	mark(vm, STATS_PHASE_VM);
	for (unsigned i = 0; i < vm->ncpus; i++) {
		r = vcpu_create(vm, &vm->vcpus[i], i);
		if (r < 0)
			return r;
	}
	mark(vm, STATS_PHASE_VCPUS);
	r = acpi_setup(vm);
	if (r < 0)
		return r;
	r = boot_load(vm, &entry);
	if (r < 0)
		return r;
	mark(vm, STATS_PHASE_LOADED);
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
	r = pci_host_attach(vm);
	if (r < 0)
		return log_error_errno(r, "cannot attach the PCI host bridge: %m");
	r = devices_attach(vm);
	/* Measured by now: the kernel's copy need not outlive the attach. */
	boot_loaded_free(&vm->loaded);
	if (r < 0)
		return r;

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
	mark(vm, STATS_PHASE_STARTED);
	return resources_pin_vcpus(vm);
}

void vm_teardown(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->state = VM_STATE_STOPPING;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_join(&vm->vcpus[i]);
	devices_stop(vm);
	devices_detach(vm);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	kvm_destroy_vm(&vm->kvm);
	boot_loaded_free(&vm->loaded);
}

int vm_reset(struct vm *vm)
{
	pci_host_reset(vm);
	devices_reset(vm);
	return memory_clear(&vm->mem);
}

char *vm_stats_report(struct vm *vm, unsigned top)
{
	/* A VM vm_create() never made (a test's) has neither counters nor a
	 * start time: its report is all zeros, the same every time. */
	unsigned n = vm->stats ? vm->ncpus : 0;
	const struct vcpu_stats **cpus = calloc(n ? n : 1, sizeof(*cpus));
	uint64_t first = console_output_first_ns(vm->console_out);
	char *text;

	if (!cpus)
		return NULL;
	for (unsigned i = 0; i < n; i++)
		cpus[i] = &vm->stats[i];
	text = stats_report(cpus, n, vm->start_ns ? &vm->startup : NULL,
			    vm->start_ns ? stats_now_ns() - vm->start_ns : 0,
			    first && vm->start_ns ? first - vm->start_ns : 0, top);
	free(cpus);
	return text;
}
