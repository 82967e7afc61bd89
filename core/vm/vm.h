/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * struct vm owns the whole virtual machine: the KVM file descriptors, guest
 * memory, the buses, the vCPUs and every device. Nothing else holds mutable
 * state.
 */
#ifndef PARTVM_VM_H
#define PARTVM_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/boot/boot.h"
#include "core/kvm/kvm.h"
#include "core/util/sandbox.h"
#include "core/vm/bus.h"
#include "core/vm/config.h"
#include "core/vm/memory.h"
#include "core/vm/stats.h"

struct vm;
struct pci_host;
struct service;
struct loop;
struct device;
struct console_input;

struct vcpu {
	struct vm *vm;
	unsigned index;
	struct kvm_vcpu kv;          /* the KVM vCPU (core/kvm/) */
	pthread_t thread;
	pid_t tid;
	bool thread_started;
	bool parked;              /* waiting while the VM is paused */
	struct vcpu_stats *stats; /* the VM's, kept across boots */
};

/* Why the VM stopped running; set once by whoever stops it first. */
enum vm_stop_reason {
	VM_STOP_NONE,
	VM_STOP_POWEROFF,         /* ACPI S5, or `stop` */
	VM_STOP_RESET,            /* guest reboot, i8042 reset, `reboot` */
	VM_STOP_DEBUG_EXIT,       /* port 0xf4: status is (v << 1) | 1 */
	VM_STOP_CRASH,            /* triple fault, internal error, bad exit */
	VM_STOP_SIGNAL,           /* SIGINT/SIGTERM */
	VM_STOP_QUIT,             /* Ctrl-A x on the console */
	VM_STOP_ERROR,            /* the VMM itself failed */
};

enum vm_run_state {
	VM_STATE_RUNNING,
	VM_STATE_PAUSED,
	VM_STATE_STOPPING,
};

struct vm {
	const struct vm_config *cfg;

	struct kvm kvm;               /* every KVM fd and ioctl (core/kvm/) */
	/* Each thread's seccomp filter (core/util/sandbox.h). */
	struct sandbox sandbox;

	struct guest_memory mem;
	struct bus pio;
	struct bus mmio;

	unsigned ncpus;
	struct vcpu *vcpus;
	/* Exit statistics, one per vCPU for the VM's life (core/vm/stats.h),
	 * counted from START_NS (CLOCK_MONOTONIC at vm_create). */
	struct vcpu_stats *stats;
	uint64_t start_ns;
	struct stats_startup startup;   /* the first boot's phases */

	/* Run control: state, the stop request, and who waits for them. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum vm_run_state state;
	enum vm_stop_reason stop_reason;
	int stop_status;              /* exit status for DEBUG_EXIT/SIGNAL */
	unsigned parked;              /* vCPUs parked for a pause */
	int event_fd;                 /* wakes the main loop on a stop request */
	unsigned boots;               /* how many times the guest was started */

	/* The main thread's event loop: made before the devices, so that
	 * they can watch their own fds. */
	struct loop *loop;
	/* The PCI bus (its host bridge); devices plug into it. */
	struct pci_host *pci;
	/* Every device, in the board's order (core/vm/device.h). */
	struct device **devices;
	size_t ndevices;
	/* Who reads the host console (core/vm/console.h). */
	struct console_input *console;
	/* Where guest console output goes (core/vm/console_output.h). */
	struct console_output *console_out;
	/* Credentials devices add for the guest's systemd (NULL-terminated
	 * SMBIOS type 11 strings: vsock's vmm.notify_socket), after the
	 * config's; set up by the devices' create hooks, freed with the VM. */
	char **guest_credentials;
	/* The guest's own sd_notify messages ("READY=1\nSTATUS=..."), on the
	 * main thread; the service layer's (NULL: nobody listens). */
	void (*guest_notify)(struct vm *vm, const char *message);

	/* Boot state recomputed on each (re)boot. */
	uint64_t rsdp_gpa;
	/* A device measures the boot (the vTPM): boot_load() keeps the bytes
	 * it loaded in LOADED until the devices are attached. */
	bool keep_loaded;
	struct boot_loaded loaded;

	/* A device's create refused the user's input (an image another
	 * partition took after the preflight): `partvm run` exits 2, as
	 * for the preflight's refusal of it. */
	bool input_refused;

	/* partvm went on as [partition] user after setup (core/service/
	 * privileges.c): what needs root at exit is left to its restorer. */
	bool privileges_dropped;
	/* With [partition] user (BOOT_FDS_KEPT): the kernel and initrd,
	 * opened as root at the start, which later boots read again (-1:
	 * none); without, each boot opens them by path. */
	bool boot_fds_kept;
	int boot_fds[2];

	/* The partition as a service: control socket, sd_notify, graceful
	 * shutdown (core/service/service.h); NULL outside service_run(). */
	struct service *service;
};

/* Create the VM from CFG (KVM, memory, the event loop, devices; nothing
 * runs yet). Returns 0 or a negative errno, having logged what failed.
 * -ENODEV means there is no usable KVM device. */
int vm_create(struct vm *vm, const struct vm_config *cfg);
void vm_destroy(struct vm *vm);

/* One boot: the KVM VM and its vCPUs, ACPI tables, the kernel, devices
 * attached, vCPUs started. Logs what failed; call vm_teardown() after a
 * failure too. */
int vm_boot(struct vm *vm);
/* Stop the vCPUs and the devices' work, drop the KVM VM. */
void vm_teardown(struct vm *vm);
/* Between a guest reboot and the next boot: devices and RAM reset. */
int vm_reset(struct vm *vm);
/* Run the event loop until something requests a stop. */
int vm_wait(struct vm *vm);

/* Request a stop from any thread (devices, signal handling). The first
 * request wins; vCPUs are kicked out of KVM_RUN. */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, int status);
bool vm_stop_requested(struct vm *vm);
int vm_pause(struct vm *vm);
int vm_resume(struct vm *vm);

/* The exit statistics as text (core/vm/stats.h), TOP sources; malloc'd,
 * NULL without memory. */
char *vm_stats_report(struct vm *vm, unsigned top);
/* Start-up phase P ended at NOW (stats_now_ns()): counted on the first
 * boot only, a reboot is not start-up. */
void vm_mark_startup(struct vm *vm, enum stats_phase p, uint64_t now);

/* Press the ACPI power button: 0, or -ENODEV without one. */
int vm_power_button(struct vm *vm);

/* Raise or lower a GSI (in-kernel IOAPIC/PIC). */
int vm_set_irq_line(struct vm *vm, unsigned gsi, bool level);

/* Translate a guest-physical range; NULL when it is not entirely RAM. */
static inline void *vm_guest_ptr(struct vm *vm, uint64_t gpa, uint64_t len)
{
	return memory_guest_ptr(&vm->mem, gpa, len);
}

#endif
