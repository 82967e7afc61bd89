// SPDX-License-Identifier: GPL-2.0-only
#include "core/kvm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/kvm/internal.h"
#include "core/util/cleanup.h"
#include "core/util/kick.h"
#include "core/util/log.h"
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

#define CPUID_MAX_ENTRIES 256
/* KVM gives ten Hyper-V leaves (Linux 6.x); E2BIG would say it outgrew this. */
#define HV_CPUID_MAX_ENTRIES 64

int kvm_open(struct kvm *k, const char *device)
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
	k->max_vcpus = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	/* Optional: without them every config-address write exits. */
	if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) > 0)
		k->coalesced_page = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
	/* Optional: without it the guest calibrates its LAPIC timer itself. */
	k->tsc_deadline = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	/* Optional: a doorbell that matches any write size; see ioevent.c. */
	k->ioeventfd_any_length = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD_ANY_LENGTH) > 0;
	k->nr_memslots = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	k->run_size = ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (k->run_size <= 0)
		return log_error_errno(-ENODEV, "no usable KVM: KVM_GET_VCPU_MMAP_SIZE failed");

	k->supported_cpuid = calloc(1, sizeof(struct kvm_cpuid2) +
					     CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2));
	if (!k->supported_cpuid)
		return -ENOMEM;
	k->supported_cpuid->nent = CPUID_MAX_ENTRIES;
	if (ioctl(fd, KVM_GET_SUPPORTED_CPUID, k->supported_cpuid) < 0)
		return log_error_errno(-errno, "no usable KVM: KVM_GET_SUPPORTED_CPUID: %m");

	k->max_routes = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING);
	k->dev_fd = TAKE_FD(fd);
	return 0;
}

/* Before Linux 5.11 KVM answers KVM_GET_SUPPORTED_HV_CPUID on a vCPU only:
 * ask one in a VM made for the question, with its LAPIC in the kernel as
 * partvm's are (KVM offers direct-mode synthetic timers only then). */
static int hv_cpuid_of_vcpu(int dev_fd, struct kvm_cpuid2 *t)
{
	_cleanup_close_ int vm = -1;
	_cleanup_close_ int vcpu = -1;

	vm = ioctl(dev_fd, KVM_CREATE_VM, 0);
	if (vm < 0)
		return -errno;
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
		return -errno;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return -errno;
	if (ioctl(vcpu, KVM_GET_SUPPORTED_HV_CPUID, t) < 0)
		return -errno;
	return 0;
}

int kvm_set_hypervisor(struct kvm *k, const struct kvm_hypervisor *h)
{
	_cleanup_free_ struct kvm_cpuid2 *t = NULL;
	int r;

	k->hypervisor = *h;
	free(k->hv_cpuid);
	k->hv_cpuid = NULL;
	k->hv_synic = k->hv_enforce_cpuid = false;
	if (!h->hyperv)
		return 0;
	if (ioctl(k->dev_fd, KVM_CHECK_EXTENSION, KVM_CAP_HYPERV) <= 0)
		return -EOPNOTSUPP;
	t = calloc(1, sizeof(*t) + HV_CPUID_MAX_ENTRIES * sizeof(t->entries[0]));
	if (!t)
		return -ENOMEM;
	t->nent = HV_CPUID_MAX_ENTRIES;
	if (ioctl(k->dev_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYS_HYPERV_CPUID) > 0)
		r = ioctl(k->dev_fd, KVM_GET_SUPPORTED_HV_CPUID, t) < 0 ? -errno : 0;
	else if (ioctl(k->dev_fd, KVM_CHECK_EXTENSION, KVM_CAP_HYPERV_CPUID) > 0)
		r = hv_cpuid_of_vcpu(k->dev_fd, t);
	else
		r = -EOPNOTSUPP;
	if (r < 0)
		return r;
	k->hv_synic = ioctl(k->dev_fd, KVM_CHECK_EXTENSION, KVM_CAP_HYPERV_SYNIC2) > 0;
	k->hv_enforce_cpuid = ioctl(k->dev_fd, KVM_CHECK_EXTENSION, KVM_CAP_HYPERV_ENFORCE_CPUID) > 0;
	k->hv_cpuid = TAKE_PTR(t);
	return 0;
}

int kvm_coalesce_pio(struct kvm *k, uint16_t port, uint32_t len)
{
	struct kvm_coalesced_mmio_zone zone = { .addr = port, .size = len, .pio = 1 };

	if (k->coalesced_page <= 0)
		return 0;
	if (ioctl(k->vm_fd, KVM_REGISTER_COALESCED_MMIO, &zone) < 0)
		return -errno;
	return 0;
}

/* Entries in the ring page (KVM_COALESCED_MMIO_MAX with a 4 KiB page). */
#define COALESCED_MAX \
	((4096 - sizeof(struct kvm_coalesced_mmio_ring)) / sizeof(struct kvm_coalesced_mmio))

void kvm_flush_coalesced(struct kvm *k)
{
	struct kvm_coalesced_mmio_ring *ring = k->coalesced_ring;

	if (!ring || __atomic_load_n(&ring->first, __ATOMIC_ACQUIRE) ==
			     __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&k->coalesced_lock);
	while (ring->first != __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE)) {
		struct kvm_coalesced_mmio *e = &ring->coalesced_mmio[ring->first % COALESCED_MAX];
		uint64_t val = 0;

		if (e->len >= 1 && e->len <= sizeof(val) && k->replay) {
			memcpy(&val, e->data, e->len);
			k->replay(k->replay_opaque, e->pio, e->phys_addr, e->len, val);
		}
		__atomic_store_n(&ring->first, (ring->first + 1) % COALESCED_MAX, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&k->coalesced_lock);
}

int kvm_set_memory_slot(struct kvm *k, unsigned slot, uint64_t gpa, uint64_t size, void *host)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};

	if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return -errno;
	return 0;
}

int kvm_alloc_memory_slot(struct kvm *k)
{
	if (k->next_memslot >= k->nr_memslots)
		return -ENOSPC;
	return (int)k->next_memslot++;
}

/* A VM fd with the addresses KVM needs before any vCPU, or -errno with
 * *FAILED naming the ioctl. Logs nothing: it may run on
 * kvm_prepare_vm()'s thread. */
static int new_vm(int dev_fd, const char **failed)
{
	uint64_t identity = KVM_IDENTITY_MAP_ADDR;
	_cleanup_close_ int fd = ioctl(dev_fd, KVM_CREATE_VM, 0);

	*failed = NULL;
	if (fd < 0)
		*failed = "KVM_CREATE_VM";
	else if (ioctl(fd, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0)
		*failed = "KVM_SET_IDENTITY_MAP_ADDR";
	else if (ioctl(fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0)
		*failed = "KVM_SET_TSS_ADDR";
	return *failed ? -errno : TAKE_FD(fd);
}

static void *prepare_thread(void *opaque)
{
	struct kvm *k = opaque;

	k->prep_fd = new_vm(k->dev_fd, &k->prep_failed);
	return NULL;
}

void kvm_prepare_vm(struct kvm *k)
{
	if (!k->prep_started && k->dev_fd >= 0)
		k->prep_started = thread_start_unsignalled(&k->prep_thread, prepare_thread, k) == 0;
}

/* The prepared VM's fd (or -errno and *FAILED), the thread joined. */
static int take_prepared(struct kvm *k, const char **failed)
{
	pthread_join(k->prep_thread, NULL);
	k->prep_started = false;
	*failed = k->prep_failed;
	return k->prep_fd;
}

int kvm_create_vm(struct kvm *k)
{
	const char *failed;
	int fd = k->prep_started ? take_prepared(k, &failed) : new_vm(k->dev_fd, &failed);

	if (fd < 0 && !strcmp(failed, "KVM_CREATE_VM")) {
		log_error_errno(fd, "no usable KVM: KVM_CREATE_VM failed: %m");
		return -ENODEV;
	}
	if (fd < 0)
		return log_error_errno(fd, "%s: %m", failed);
	k->vm_fd = fd;
	k->next_memslot = 0;
	return 0;
}

int kvm_create_irqchip(struct kvm *k)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int fd = k->vm_fd, r;

	if (ioctl(fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return log_error_errno(-errno, "KVM_CREATE_IRQCHIP: %m");
	if (ioctl(fd, KVM_CREATE_PIT2, &pit) < 0)
		return log_error_errno(-errno, "KVM_CREATE_PIT2: %m");

	r = kvm_routing_reset(k);
	if (r < 0)
		return log_error_errno(r, "KVM_SET_GSI_ROUTING (the default IOAPIC/PIC routes): %m");
	return 0;
}

void kvm_destroy_vm(struct kvm *k)
{
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	k->vm_fd = -1;
}

void kvm_init(struct kvm *k)
{
	memset(k, 0, sizeof(*k));
	k->dev_fd = k->vm_fd = -1;
	k->hypervisor.id = KVM_HYPERVISOR_ID_KVM;
	k->virtual_wire = true;
	pthread_mutex_init(&k->coalesced_lock, NULL);
	pthread_mutex_init(&k->routing_lock, NULL);
}

void kvm_release(struct kvm *k)
{
	const char *failed;
	int fd;

	/* A VM prepared for a boot that never came. */
	if (k->prep_started && (fd = take_prepared(k, &failed)) >= 0)
		close(fd);
	kvm_destroy_vm(k);
	if (k->dev_fd >= 0)
		close(k->dev_fd);
	k->dev_fd = -1;
	free(k->routing);
	free(k->msi_gsi_used);
	free(k->supported_cpuid);
	free(k->hv_cpuid);
	k->routing = NULL;
	k->msi_gsi_used = NULL;
	k->supported_cpuid = NULL;
	k->hv_cpuid = NULL;
	pthread_mutex_destroy(&k->coalesced_lock);
	pthread_mutex_destroy(&k->routing_lock);
}

int kvm_api_version(void)
{
	return KVM_API_VERSION;
}

int kvm_probe_api_version(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
	int v;

	if (fd < 0)
		return -errno;
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	return v < 0 ? -errno : v;
}
