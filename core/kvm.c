// SPDX-License-Identifier: GPL-2.0-only
#include "core/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/layout.h"
#include "core/util/log.h"
#include "core/vm.h"

/* Every capability partvm relies on, checked up front so a host that
 * lacks one is told which. */
static const struct {
	int cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
	{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
	{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	{ KVM_CAP_MAX_VCPUS, "KVM_CAP_MAX_VCPUS" },
	{ KVM_CAP_NR_MEMSLOTS, "KVM_CAP_NR_MEMSLOTS" },
};

/* Just below the 4 GiB boundary, outside everything in core/layout.h:
 * Intel VMX needs these pages for real-mode emulation. */
#define KVM_IDENTITY_MAP_ADDR 0xfeffc000ULL
#define KVM_TSS_ADDR          0xfeffd000ULL

#define CPUID_MAX_ENTRIES 256

int kvm_open(struct vm *vm, const char *device)
{
	_cleanup_close_ int fd = -1;
	int r, version;

	fd = open(device, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		log_error_errno(r, "no usable KVM: cannot open %s: %m", device);
		return -ENODEV;
	}
	version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		log_error("no usable KVM: %s has API version %d, partvm needs %d", device, version,
			  KVM_API_VERSION);
		return -ENODEV;
	}
	for (size_t i = 0; i < ARRAY_SIZE(required_caps); i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			log_error("no usable KVM: %s lacks %s", device, required_caps[i].name);
			return -ENODEV;
		}
	}
	vm->max_vcpus = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	/* Optional: without them every config-address write exits. */
	if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) > 0)
		vm->coalesced_page = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
	/* Optional: without it the guest calibrates its LAPIC timer itself. */
	vm->tsc_deadline = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	vm->nr_memslots = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	vm->run_size = ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0)
		return log_error_errno(-ENODEV, "no usable KVM: KVM_GET_VCPU_MMAP_SIZE failed");

	vm->supported_cpuid = calloc(1, sizeof(struct kvm_cpuid2) +
					     CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2));
	if (!vm->supported_cpuid)
		return -ENOMEM;
	vm->supported_cpuid->nent = CPUID_MAX_ENTRIES;
	if (ioctl(fd, KVM_GET_SUPPORTED_CPUID, vm->supported_cpuid) < 0)
		return log_error_errno(-errno, "no usable KVM: KVM_GET_SUPPORTED_CPUID: %m");

	vm->kvm_fd = TAKE_FD(fd);
	return 0;
}

/* Default routing, as a PC wires it: ISA IRQs 0-15 to the PICs and the
 * IOAPIC, the PIT's IRQ0 to IOAPIC pin 2 (the MADT says so with an
 * interrupt source override), and IOAPIC pins 16-23 for PCI INTx. */
static int routing_add(struct vm *vm, const struct kvm_irq_routing_entry *e)
{
	struct irq_routing *rt = &vm->routing;

	if (!rt->table || rt->table->nr == rt->cap) {
		unsigned cap = rt->cap ? rt->cap * 2 : 64;
		struct kvm_irq_routing *n = realloc(rt->table, sizeof(*n) + cap * sizeof(n->entries[0]));

		if (!n)
			return -ENOMEM;
		if (!rt->table)
			n->nr = 0;
		n->flags = 0;
		rt->table = n;
		rt->cap = cap;
	}
	rt->table->entries[rt->table->nr++] = *e;
	return 0;
}

static int routing_add_irqchip(struct vm *vm, uint32_t gsi, uint32_t chip, uint32_t pin)
{
	struct kvm_irq_routing_entry e = {
		.gsi = gsi,
		.type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = { .irqchip = chip, .pin = pin },
	};
	return routing_add(vm, &e);
}

static int routing_init_default(struct vm *vm)
{
	int r = 0;

	if (vm->routing.table)
		vm->routing.table->nr = 0;
	for (unsigned i = 0; i < 16 && r == 0; i++) {
		if (i == 2)
			continue;   /* the cascade */
		r = routing_add_irqchip(vm, i, i < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
					i % 8);
	}
	for (unsigned i = 0; i < 24 && r == 0; i++) {
		if (i == 0)
			r = routing_add_irqchip(vm, 0, KVM_IRQCHIP_IOAPIC, 2);
		else if (i != 2)
			r = routing_add_irqchip(vm, i, KVM_IRQCHIP_IOAPIC, i);
	}
	vm->routing.next_msi_gsi = 24;
	return r;
}

int kvm_routing_commit(struct vm *vm)
{
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, vm->routing.table) < 0)
		return -errno;
	return 0;
}

int kvm_routing_add_msi(struct vm *vm, uint64_t addr, uint32_t data, uint32_t *gsi)
{
	struct kvm_irq_routing_entry e = {
		.gsi = vm->routing.next_msi_gsi,
		.type = KVM_IRQ_ROUTING_MSI,
		.u.msi = { .address_lo = (uint32_t)addr, .address_hi = addr >> 32, .data = data },
	};
	int r = routing_add(vm, &e);

	if (r < 0)
		return r;
	*gsi = vm->routing.next_msi_gsi++;
	return 0;
}

int kvm_routing_update_msi(struct vm *vm, uint32_t gsi, uint64_t addr, uint32_t data)
{
	struct kvm_irq_routing *t = vm->routing.table;

	for (unsigned i = 0; i < t->nr; i++) {
		if (t->entries[i].gsi == gsi && t->entries[i].type == KVM_IRQ_ROUTING_MSI) {
			t->entries[i].u.msi.address_lo = (uint32_t)addr;
			t->entries[i].u.msi.address_hi = addr >> 32;
			t->entries[i].u.msi.data = data;
			return 0;
		}
	}
	return -ENOENT;
}

int kvm_coalesce_pio(struct vm *vm, uint16_t port, uint32_t len)
{
	struct kvm_coalesced_mmio_zone zone = { .addr = port, .size = len, .pio = 1 };

	if (vm->coalesced_page <= 0)
		return 0;
	if (ioctl(vm->vm_fd, KVM_REGISTER_COALESCED_MMIO, &zone) < 0)
		return -errno;
	return 0;
}

/* Entries in the ring page (KVM_COALESCED_MMIO_MAX with a 4 KiB page). */
#define COALESCED_MAX \
	((4096 - sizeof(struct kvm_coalesced_mmio_ring)) / sizeof(struct kvm_coalesced_mmio))

void kvm_flush_coalesced(struct vm *vm)
{
	struct kvm_coalesced_mmio_ring *ring = vm->coalesced_ring;

	if (!ring || __atomic_load_n(&ring->first, __ATOMIC_ACQUIRE) ==
			     __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&vm->coalesced_lock);
	while (ring->first != __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE)) {
		struct kvm_coalesced_mmio *e = &ring->coalesced_mmio[ring->first % COALESCED_MAX];
		uint64_t val = 0;

		if (e->len >= 1 && e->len <= sizeof(val)) {
			memcpy(&val, e->data, e->len);
			bus_write(e->pio ? &vm->pio : &vm->mmio, e->phys_addr, e->len, val);
		}
		__atomic_store_n(&ring->first, (ring->first + 1) % COALESCED_MAX, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&vm->coalesced_lock);
}

int kvm_set_memory_slot(struct vm *vm, unsigned slot, uint64_t gpa, uint64_t size, void *host)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return -errno;
	return 0;
}

int kvm_alloc_memory_slot(struct vm *vm)
{
	if (vm->next_memslot >= vm->nr_memslots)
		return -ENOSPC;
	return (int)vm->next_memslot++;
}

int kvm_create_vm(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t identity = KVM_IDENTITY_MAP_ADDR;
	const struct mem_layout *l = &vm->mem.layout;
	int fd, r;

	fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (fd < 0) {
		r = -errno;
		log_error_errno(r, "no usable KVM: KVM_CREATE_VM failed: %m");
		return -ENODEV;
	}
	vm->vm_fd = fd;
	vm->next_memslot = 0;

	if (ioctl(fd, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0)
		return log_error_errno(-errno, "KVM_SET_IDENTITY_MAP_ADDR: %m");
	if (ioctl(fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0)
		return log_error_errno(-errno, "KVM_SET_TSS_ADDR: %m");
	if (ioctl(fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return log_error_errno(-errno, "KVM_CREATE_IRQCHIP: %m");
	if (ioctl(fd, KVM_CREATE_PIT2, &pit) < 0)
		return log_error_errno(-errno, "KVM_CREATE_PIT2: %m");

	r = routing_init_default(vm);
	if (r < 0)
		return log_error_errno(r, "cannot build the GSI routing table: %m");
	r = kvm_routing_commit(vm);
	if (r < 0)
		return log_error_errno(r, "KVM_SET_GSI_ROUTING: %m");

	for (unsigned i = 0; i < l->nregions; i++) {
		const struct mem_region *m = &l->regions[i];
		int slot = kvm_alloc_memory_slot(vm);

		if (slot < 0)
			return log_error_errno(slot, "no KVM memory slot left for guest RAM");
		r = kvm_set_memory_slot(vm, slot, m->gpa, m->size, vm->mem.host + m->host_offset);
		if (r < 0)
			return log_error_errno(r, "cannot map %llu MiB of guest RAM at 0x%llx: %m",
					       (unsigned long long)(m->size >> 20),
					       (unsigned long long)m->gpa);
	}
	return 0;
}

void kvm_destroy_vm(struct vm *vm)
{
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	vm->vm_fd = -1;
}
