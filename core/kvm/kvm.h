/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hypervisor layer: every KVM ioctl partvm makes goes through here, and
 * nothing outside core/kvm/ includes <linux/kvm.h>.
 *
 *   kvm.c      /dev/kvm, its capabilities and Hyper-V leaves, the VM fd,
 *              memory slots, coalesced writes
 *   irq.c      IRQ lines, GSI routing (with its own lock), irqfd
 *   ioevent.c  ioeventfd: guest writes that only signal an eventfd
 *   vfio.c     the KVM-VFIO pseudo device
 *   vcpu.c     vCPU fds: CPUID, Hyper-V's SynIC, LAPIC, entry registers,
 *              KVM_RUN and its exits decoded into struct kvm_exit
 *   cpuid.c    per-vCPU CPUID tables, the hypervisor leaves among them
 *
 * A VM fd lives for one boot (kvm_create_vm() .. kvm_destroy_vm()); what
 * is tied to it (slots, routes, irqfds, ioeventfds) is set up again each
 * boot by the device's attach hook.
 */
#ifndef PARTVM_KVM_H
#define PARTVM_KVM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct kvm_run;
struct kvm_cpuid2;
struct kvm_irq_routing;
struct kvm_coalesced_mmio_ring;

/* Where the guest's CPUID says which hypervisor it runs on ([partition]
 * hypervisor-id): KVM's own leaves ("KVMKVMKVM") at 0x40000000 as KVM
 * gives them; Hyper-V's there and KVM's moved to 0x40000100; or no KVM
 * leaves at all. */
enum kvm_hypervisor_id {
	KVM_HYPERVISOR_ID_DEFAULT,    /* kvm, or hyperv with the enlightenments */
	KVM_HYPERVISOR_ID_KVM,
	KVM_HYPERVISOR_ID_HYPERV,
	KVM_HYPERVISOR_ID_HIDE,
};

/* The Hyper-V vendor ID is the 12 bytes of CPUID 0x40000000 EBX/ECX/EDX;
 * Windows' drivers expect Microsoft's. */
#define KVM_HYPERV_VENDOR_MAX     12
#define KVM_HYPERV_VENDOR_DEFAULT "Microsoft Hv"

/* What every vCPU's CPUID says about its hypervisor. */
struct kvm_hypervisor {
	bool hyperv;                  /* Hyper-V enlightenments */
	enum kvm_hypervisor_id id;    /* never DEFAULT once set */
	char vendor[KVM_HYPERV_VENDOR_MAX + 1];   /* "": KVM_HYPERV_VENDOR_DEFAULT */
};

/* Writes KVM queued instead of exiting, replayed in order on the next
 * exit (see kvm_coalesce_pio()). */
typedef void (*kvm_replay_fn)(void *opaque, bool pio, uint64_t addr, unsigned len,
			      uint64_t value);

struct kvm {
	int dev_fd;                   /* /dev/kvm */
	int vm_fd;                    /* -1 between boots */
	int run_size;
	struct kvm_cpuid2 *supported_cpuid;
	unsigned max_vcpus;
	bool tsc_deadline;            /* KVM_CAP_TSC_DEADLINE_TIMER */
	bool ioeventfd_any_length;    /* KVM_CAP_IOEVENTFD_ANY_LENGTH */
	struct kvm_hypervisor hypervisor;   /* kvm_set_hypervisor() */
	/* With hypervisor.hyperv: KVM_GET_SUPPORTED_HV_CPUID's leaves, taken
	 * once so that every vCPU of every boot gets the same. */
	struct kvm_cpuid2 *hv_cpuid;
	bool hv_synic;                /* KVM_CAP_HYPERV_SYNIC2: SynIC and its timers */
	bool hv_enforce_cpuid;        /* KVM_CAP_HYPERV_ENFORCE_CPUID */
	/* vCPUs start with the LAPIC's LINT0 as ExtINT and LINT1 as NMI, as a
	 * BIOS leaves them for the OS it boots; false: the reset state (both
	 * masked), for a firmware that programs them itself. */
	bool virtual_wire;
	unsigned nr_memslots, next_memslot;
	/* kvm_prepare_vm()'s thread and what it made (the VM fd, or -errno
	 * and the ioctl that failed), read once it is joined. */
	pthread_t prep_thread;
	bool prep_started;
	int prep_fd;
	const char *prep_failed;

	int coalesced_page;           /* page offset in the vCPU mmap, 0: none */
	struct kvm_coalesced_mmio_ring *coalesced_ring;
	pthread_mutex_t coalesced_lock;
	kvm_replay_fn replay;
	void *replay_opaque;

	/* GSI routing, kept whole because KVM_SET_GSI_ROUTING replaces it.
	 * MSI routes take GSIs from 24 up; a removed route's GSI is reused. */
	pthread_mutex_t routing_lock;
	struct kvm_irq_routing *routing;
	unsigned routing_cap;
	unsigned max_routes;          /* KVM_CAP_IRQ_ROUTING */
	uint64_t *msi_gsi_used;       /* bitmap over GSIs from KVM_FIRST_MSI_GSI */
	unsigned msi_gsi_words;
};

/* GSIs 0-23 are the PIC and IOAPIC pins. */
#define KVM_FIRST_MSI_GSI 24

/* Fill K's defaults (no fds). */
void kvm_init(struct kvm *k);
/* Close everything K holds, the VM included. */
void kvm_release(struct kvm *k);

/* Open DEVICE (default /dev/kvm), check the API version and every
 * capability partvm uses. On failure logs one line naming what is missing
 * and returns -ENODEV (no usable KVM) or another negative errno. */
int kvm_open(struct kvm *k, const char *device);
/* The API version of the KVM device at PATH, or a negative errno. For
 * host checks: no VM is created. */
int kvm_probe_api_version(const char *path);
/* The version partvm is built for (KVM_API_VERSION). */
int kvm_api_version(void);

/* Set what the guest's CPUID says about its hypervisor (H's id resolved).
 * With H->hyperv, fetch KVM's Hyper-V leaves. Returns 0, -EOPNOTSUPP when
 * this host's KVM has no Hyper-V emulation (no KVM_CAP_HYPERV, or neither
 * form of KVM_GET_SUPPORTED_HV_CPUID), or the ioctl's -errno. */
int kvm_set_hypervisor(struct kvm *k, const struct kvm_hypervisor *h);

/* The guest-physical address bits the guest's CPUID reports (0x80000008
 * EAX[7:0]: what KVM passes on from this host's CPU, so the highest
 * address a guest device may decode). 48, x86-64's four-level limit,
 * before kvm_open() has read the table (unit tests). */
unsigned kvm_phys_bits(const struct kvm *k);

/* Begin kvm_create_vm()'s work on a thread of its own: KVM_CREATE_VM
 * takes 20 ms and more on a nested host (KVM's static keys patched on
 * every CPU, its worker thread started), most of what a bare KVM program
 * spends before its guest runs, and nothing partvm sets up meanwhile (its
 * devices, the control socket) needs the VM fd. kvm_create_vm() takes
 * the result; kvm_release() drops one never taken. When no thread can be
 * started, kvm_create_vm() does the work itself. */
void kvm_prepare_vm(struct kvm *k);
/* Create the VM fd (with its identity map and TSS addresses), or take the
 * one kvm_prepare_vm() made. Logs what failed. Guest RAM's memory slots go
 * in next, then kvm_create_irqchip(): KVM waits for an expedited SRCU
 * grace period on every slot change, and one right after the irqchip's
 * took 5-11 ms on a 2-CPU host, against 0.05 ms for the slot, irqchip and
 * PIT in this order (measured). */
int kvm_create_vm(struct kvm *k);
/* The in-kernel irqchip and PIT, and the default GSI routing. Logs what
 * failed. */
int kvm_create_irqchip(struct kvm *k);
/* Close the VM fd (and with it the irqchip, PIT, slots, routes, irqfds). */
void kvm_destroy_vm(struct kvm *k);
static inline bool kvm_vm_exists(const struct kvm *k)
{
	return k->vm_fd >= 0;
}

/* Memory slots. A SIZE of 0 deletes the slot. */
int kvm_set_memory_slot(struct kvm *k, unsigned slot, uint64_t gpa, uint64_t size, void *host);
/* A free slot number for this boot, or -ENOSPC. */
int kvm_alloc_memory_slot(struct kvm *k);

/* Let KVM queue guest writes to ports [PORT, PORT+LEN) instead of exiting
 * (a no-op without KVM_CAP_COALESCED_PIO). Only for registers whose writes
 * take effect when the next access, which does exit, needs them. */
int kvm_coalesce_pio(struct kvm *k, uint16_t port, uint32_t len);
/* Replay the queued writes, in order, through K->replay. */
void kvm_flush_coalesced(struct kvm *k);

/* ---- irq.c --------------------------------------------------------------- */

/* Raise or lower GSI (in-kernel IOAPIC/PIC). */
int kvm_set_irq_line(struct kvm *k, unsigned gsi, bool level);

/* An MSI route at a free GSI, committed. Returns 0 with *GSI set, -ENOSPC
 * when KVM's table is full, or KVM's error (nothing changed then). */
int kvm_msi_route_add(struct kvm *k, uint64_t addr, uint32_t data, uint32_t *gsi);
/* Point GSI's route at a new message, committed. -ENOENT: no such route. */
int kvm_msi_route_update(struct kvm *k, uint32_t gsi, uint64_t addr, uint32_t data);
/* Remove GSI's route and free the GSI. */
int kvm_msi_route_remove(struct kvm *k, uint32_t gsi);
/* MSI routes in the table now (tests, status). */
unsigned kvm_msi_route_count(struct kvm *k);

/* irqfd: a write to FD raises GSI. With RESAMPLE_FD >= 0 the line is
 * level-triggered: KVM holds it until the guest's EOI, then signals
 * RESAMPLE_FD. */
int kvm_irqfd_assign(struct kvm *k, int fd, uint32_t gsi, int resample_fd);
int kvm_irqfd_deassign(struct kvm *k, int fd, uint32_t gsi);

/* ---- ioevent.c ----------------------------------------------------------- */

/* Guest writes of LEN bytes (1, 2, 4 or 8; 0 = any length, MMIO only) at
 * ADDR signal FD instead of exiting. */
int kvm_ioeventfd_assign(struct kvm *k, int fd, uint64_t addr, unsigned len, bool pio);
int kvm_ioeventfd_deassign(struct kvm *k, int fd, uint64_t addr, unsigned len, bool pio);
/* The length to register an MMIO doorbell written LEN bytes wide with: 0
 * (any size, the fast path) where KVM has it, else LEN. */
unsigned kvm_doorbell_len(const struct kvm *k, unsigned len);

/* ---- vfio.c -------------------------------------------------------------- */

/* The KVM-VFIO device of this boot's VM: its fd, or a negative errno. */
int kvm_vfio_device_create(struct kvm *k);
/* Tell it about a VFIO group (non-coherent DMA, interrupt bypass). */
int kvm_vfio_add_group(int kvm_vfio_fd, int group_fd);

/* ---- vcpu.c -------------------------------------------------------------- */

struct kvm_vcpu {
	struct kvm *kvm;
	unsigned index;
	uint32_t apic_id;
	int fd;
	struct kvm_run *run;
};

/* The registers the boot CPU starts with (the boot protocols' entry). */
struct kvm_vcpu_entry {
	bool long_mode;               /* 64-bit, paging on; else 32-bit flat */
	uint64_t ip, sp, cr3;
	uint64_t rsi, rbx;            /* the protocols' argument registers */
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint16_t code_sel, data_sel, tss_sel;
};

enum kvm_exit_kind {
	KVM_EXIT_KIND_NONE,           /* interrupted, irq window: just run again */
	KVM_EXIT_KIND_IO,
	KVM_EXIT_KIND_MMIO,
	KVM_EXIT_KIND_TRIPLE_FAULT,
	KVM_EXIT_KIND_POWEROFF,       /* PSCI-style system event */
	KVM_EXIT_KIND_RESET,
	KVM_EXIT_KIND_FAILED,         /* WHY says what */
};

struct kvm_exit {
	enum kvm_exit_kind kind;
	union {
		struct {
			uint16_t port;
			uint8_t size;         /* 1, 2 or 4 */
			bool out;
			uint32_t count;       /* string I/O: COUNT items of SIZE */
			uint8_t *data;        /* in the vCPU's run page */
		} io;
		struct {
			uint64_t addr;
			uint32_t len;         /* 1..8 */
			bool write;
			uint8_t *data;
		} mmio;
	};
	char why[96];
};

/* Create vCPU INDEX (APIC ID APIC_ID) of NCPUS with its CPUID and LAPIC
 * wiring. Logs what failed. */
int kvm_vcpu_create(struct kvm *k, struct kvm_vcpu *v, unsigned index, uint32_t apic_id,
		    unsigned ncpus);
void kvm_vcpu_destroy(struct kvm_vcpu *v);
int kvm_vcpu_set_entry(struct kvm_vcpu *v, const struct kvm_vcpu_entry *e);
/* KVM_RUN once; returns 0 with *EXIT decoded, -EINTR when kicked, or the
 * ioctl's error. */
int kvm_vcpu_run(struct kvm_vcpu *v, struct kvm_exit *exit);
/* Make the next (or current) KVM_RUN return at once; the caller also
 * signals the thread. */
void kvm_vcpu_request_exit(struct kvm_vcpu *v);
void kvm_vcpu_clear_exit_request(struct kvm_vcpu *v);
/* One line of the registers, for a crash report. Returns -errno when KVM
 * cannot read them; *RESET_STATE tells that what KVM kept is the reset
 * state, not the faulting one (AMD SVM on a shutdown intercept). */
int kvm_vcpu_describe(struct kvm_vcpu *v, char *buf, unsigned len, bool *reset_state);

#endif
