/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A fake vfio-pci device and KVM VM for the VFIO unit tests, mocked at
 * the ioctl edge (link with -Wl,--wrap=ioctl). The device fd is a memfd:
 * region I at offset I << 40, as vfio-pci lays them out, so config space
 * and BAR contents are read, written and mmap'ed like the real thing, and
 * a test can look at what reached the "device". The VM fd is /dev/null;
 * memory slots, irqfds and the GSI routing table are recorded.
 *
 * Include in one test file only (it defines the wrapper).
 */
#ifndef PARTVM_TEST_VFIO_FAKE_H
#define PARTVM_TEST_VFIO_FAKE_H

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/vm/layout.h"
#include "core/vm/pci.h"
#include "core/kvm/internal.h"
#include "core/vm/vm.h"
#include "vfio/internal.h"

#define FAKE_OFF(i) ((uint64_t)(i) << 40)
#define FAKE_MAX_SLOTS 64
#define FAKE_LOG 256

struct fake_region {
	uint64_t size;
	uint32_t flags;
	unsigned nareas;                      /* sparse-mmap areas; 0: none */
	struct vfio_region_sparse_mmap_area areas[4];
	bool msix_mappable;
};

struct fake_irqs {
	uint32_t flags;
	unsigned index, start, count;
	int fds[64];
};

struct fake {
	int dev_fd, vm_fd;
	int model_fd;                         /* the dup the model owns */
	uint32_t dev_flags;
	bool rom_off;                         /* fake_create() with rom = off */
	struct fake_region r[VFIO_PCI_NUM_REGIONS];
	uint32_t irq_count[VFIO_PCI_NUM_IRQS];
	unsigned resets;
	struct fake_irqs irqs[FAKE_LOG];
	unsigned nirqs;
	struct kvm_userspace_memory_region slots[FAKE_MAX_SLOTS];
	struct kvm_irqfd irqfds[FAKE_LOG];
	unsigned nirqfds;
	struct kvm_irq_routing_entry routes[FAKE_LOG];
	unsigned nroutes, commits;
	int routing_error;            /* KVM_SET_GSI_ROUTING fails with it */
};

static struct fake fake;
static struct vm vm;

int __real_ioctl(int fd, unsigned long req, ...);

static int fake_region_info(struct vfio_region_info *info)
{
	const struct fake_region *r;
	size_t need = sizeof(*info), sparse = 0;
	uint8_t *base = (uint8_t *)info;

	if (info->index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	r = &fake.r[info->index];
	if (r->nareas)
		sparse = sizeof(struct vfio_region_info_cap_sparse_mmap) +
			 r->nareas * sizeof(struct vfio_region_sparse_mmap_area);
	need += sparse + (r->msix_mappable ? sizeof(struct vfio_info_cap_header) : 0);
	info->flags = r->flags;
	info->size = r->size;
	info->offset = FAKE_OFF(info->index);
	info->cap_offset = 0;
	if (need == sizeof(*info))
		return 0;
	info->flags |= VFIO_REGION_INFO_FLAG_CAPS;
	if (info->argsz < need) {
		info->argsz = (uint32_t)need;
		return 0;
	}
	info->argsz = (uint32_t)need;
	info->cap_offset = sizeof(*info);
	if (r->nareas) {
		struct vfio_region_info_cap_sparse_mmap *s = (void *)(base + sizeof(*info));

		s->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
		s->header.version = 1;
		s->header.next = r->msix_mappable ? (uint32_t)(sizeof(*info) + sparse) : 0;
		s->nr_areas = r->nareas;
		memcpy(s->areas, r->areas, r->nareas * sizeof(r->areas[0]));
	}
	if (r->msix_mappable) {
		struct vfio_info_cap_header *h = (void *)(base + sizeof(*info) + sparse);

		h->id = VFIO_REGION_INFO_CAP_MSIX_MAPPABLE;
		h->version = 1;
		h->next = 0;
	}
	return 0;
}

static int fake_dev_ioctl(unsigned long req, void *arg)
{
	switch (req) {
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info *i = arg;

		i->flags = VFIO_DEVICE_FLAGS_PCI | fake.dev_flags;
		i->num_regions = VFIO_PCI_NUM_REGIONS;
		i->num_irqs = VFIO_PCI_NUM_IRQS;
		return 0;
	}
	case VFIO_DEVICE_GET_REGION_INFO:
		return fake_region_info(arg);
	case VFIO_DEVICE_GET_IRQ_INFO: {
		struct vfio_irq_info *i = arg;

		if (i->index >= VFIO_PCI_NUM_IRQS)
			return -EINVAL;
		i->count = fake.irq_count[i->index];
		i->flags = VFIO_IRQ_INFO_EVENTFD;
		return 0;
	}
	case VFIO_DEVICE_SET_IRQS: {
		struct vfio_irq_set *s = arg;
		struct fake_irqs *l;

		if (fake.nirqs >= FAKE_LOG || s->count > 64)
			return -ENOSPC;
		l = &fake.irqs[fake.nirqs++];
		memset(l, 0, sizeof(*l));
		l->flags = s->flags;
		l->index = s->index;
		l->start = s->start;
		l->count = s->count;
		if (s->flags & VFIO_IRQ_SET_DATA_EVENTFD)
			memcpy(l->fds, s->data, s->count * sizeof(int32_t));
		return 0;
	}
	case VFIO_DEVICE_RESET:
		fake.resets++;
		return 0;
	}
	return -ENOTTY;
}

static int fake_vm_ioctl(unsigned long req, void *arg)
{
	switch (req) {
	case KVM_SET_USER_MEMORY_REGION: {
		struct kvm_userspace_memory_region *m = arg;

		if (m->slot >= FAKE_MAX_SLOTS)
			return -EINVAL;
		fake.slots[m->slot] = *m;
		return 0;
	}
	case KVM_IRQFD:
		if (fake.nirqfds >= FAKE_LOG)
			return -ENOSPC;
		fake.irqfds[fake.nirqfds++] = *(struct kvm_irqfd *)arg;
		return 0;
	case KVM_SET_GSI_ROUTING: {
		struct kvm_irq_routing *t = arg;

		if (fake.routing_error)
			return fake.routing_error;
		if (t->nr > FAKE_LOG)
			return -ENOSPC;
		memcpy(fake.routes, t->entries, t->nr * sizeof(t->entries[0]));
		fake.nroutes = t->nr;
		fake.commits++;
		return 0;
	}
	}
	return -ENOTTY;
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd != fake.dev_fd && fd != fake.model_fd && fd != fake.vm_fd)
		return __real_ioctl(fd, req, arg);
	r = fd == fake.vm_fd ? fake_vm_ioctl(req, arg) : fake_dev_ioctl(req, arg);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}

/* ---- The device's config space (region 7 of the memfd) ----------------- */

static void cfg_put(unsigned off, unsigned size, uint32_t v)
{
	uint8_t b[4];

	for (unsigned i = 0; i < size; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	assert_int_equal(pwrite(fake.dev_fd, b, size,
				(off_t)(FAKE_OFF(VFIO_PCI_CONFIG_REGION_INDEX) + off)), (ssize_t)size);
}

static inline uint32_t cfg_get(unsigned off, unsigned size)
{
	uint8_t b[4] = { 0 };
	uint32_t v = 0;

	assert_int_equal(pread(fake.dev_fd, b, size,
			       (off_t)(FAKE_OFF(VFIO_PCI_CONFIG_REGION_INDEX) + off)), (ssize_t)size);
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

/* A device: IDS 0x10ca8086 (an 82576 VF), class 0x020000, config space of
 * 4 KiB; the test adds BARs, capabilities and IRQs before fake_create(). */
static void fake_init(void)
{
	memset(&fake, 0, sizeof(fake));
	fake.model_fd = -1;
	fake.dev_fd = memfd_create("fake-vfio-device", MFD_CLOEXEC);
	assert_true(fake.dev_fd >= 0);
	assert_int_equal(ftruncate(fake.dev_fd, (off_t)FAKE_OFF(VFIO_PCI_NUM_REGIONS)), 0);
	fake.vm_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert_true(fake.vm_fd >= 0);
	fake.dev_flags = VFIO_DEVICE_FLAGS_RESET;
	fake.r[VFIO_PCI_CONFIG_REGION_INDEX] = (struct fake_region){
		.size = 4096, .flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
	};
	cfg_put(PCI_VENDOR_ID, 4, 0x10ca8086);
	cfg_put(PCI_CLASS_REVISION, 4, 0x02000001);
	cfg_put(PCI_HEADER_TYPE, 1, 0x80);   /* multifunction on the host */
	cfg_put(PCI_SUBSYSTEM_VENDOR_ID, 4, 0xa03c8086);

	memset(&vm, 0, sizeof(vm));
	kvm_init(&vm.kvm);
	vm.kvm.vm_fd = fake.vm_fd;
	vm.kvm.nr_memslots = FAKE_MAX_SLOTS;
	pthread_mutex_init(&vm.lock, NULL);
	assert_int_equal(bus_init(&vm.pio, "pio"), 0);
	assert_int_equal(bus_init(&vm.mmio, "mmio"), 0);
	assert_int_equal(memory_layout_init(&vm.mem.layout, 1ULL << 30, LAYOUT_DIRECT_BOOT), 0);
	assert_int_equal(pci_host_init(&vm), 0);
	assert_int_equal(kvm_routing_reset(&vm.kvm), 0);
}

/* A memory BAR I of SIZE (FLAGS: PCI_BASE_ADDRESS_* bits), mmap-able. */
static void fake_bar(unsigned i, uint64_t size, uint32_t flags, bool mmap)
{
	fake.r[i] = (struct fake_region){
		.size = size,
		.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			 (mmap ? VFIO_REGION_INFO_FLAG_MMAP : 0),
	};
	cfg_put(PCI_BASE_ADDRESS_0 + 4 * i, 4, flags);
}

/* An expansion ROM image of LEN bytes (LEN > 0x60): 55 AA, the PCI data
 * structure at 0x40 naming VENDOR:DEVICE (structure revision REV, a device
 * list at 0x58 when LIST is not 0), other bytes i * 7. */
static inline void make_rom_image(uint8_t *img, size_t len, uint16_t vendor, uint16_t device, uint8_t rev,
			   uint16_t list)
{
	for (size_t i = 0; i < len; i++)
		img[i] = (uint8_t)(i * 7);
	img[0] = 0x55;
	img[1] = 0xaa;
	img[0x18] = 0x40;
	img[0x19] = 0;
	memcpy(img + 0x40, "PCIR", 4);
	img[0x44] = (uint8_t)vendor;
	img[0x45] = (uint8_t)(vendor >> 8);
	img[0x46] = (uint8_t)device;
	img[0x47] = (uint8_t)(device >> 8);
	img[0x48] = list ? 0x18 : 0;    /* the list at 0x40 + 0x18 */
	img[0x49] = 0;
	img[0x4c] = rev;
	if (list) {
		img[0x58] = 0x34;
		img[0x59] = 0x12;
		img[0x5a] = (uint8_t)list;
		img[0x5b] = (uint8_t)(list >> 8);
		img[0x5c] = img[0x5d] = 0;
	}
}

static struct vfio_pci *fake_create(const char *rom)
{
	struct vfio_pci *p = NULL;
	char err[512] = "";
	int r;

	fake.model_fd = dup(fake.dev_fd);
	r = vfio_pci_create(&vm, fake.model_fd, "0000:00:03.0", -1, 0, rom, fake.rom_off, &p, err, sizeof(err));

	if (r < 0)
		fail_msg("vfio_pci_create: %s (%d)", err, r);
	return p;
}

static void fake_fini(struct vfio_pci *p)
{
	vfio_pci_free(p);
	pci_host_exit(&vm);
	bus_destroy(&vm.pio);
	bus_destroy(&vm.mmio);
	vm.kvm.vm_fd = -1;
	kvm_release(&vm.kvm);
	close(fake.dev_fd);
	close(fake.vm_fd);
}

/* ---- What the guest does and sees --------------------------------------- */

static uint32_t guest_cfg_read(const struct vfio_pci *p, unsigned off, unsigned size)
{
	return pci_host_config_read(vm.pci, p->pci.slot, p->pci.fn, off, size);
}

static void guest_cfg_write(const struct vfio_pci *p, unsigned off, unsigned size, uint32_t v)
{
	pci_host_config_write(vm.pci, p->pci.slot, p->pci.fn, off, size, v);
}

static inline bool guest_mmio_read(uint64_t addr, unsigned size, uint64_t *v)
{
	return bus_read(&vm.mmio, addr, size, v);
}

static inline void guest_mmio_write(uint64_t addr, unsigned size, uint64_t v)
{
	assert_true(bus_write(&vm.mmio, addr, size, v));
}

/* Is an irqfd on FD for GSI assigned now (replaying the log)? */
static inline bool irqfd_live(int fd, uint32_t gsi)
{
	bool live = false;

	for (unsigned i = 0; i < fake.nirqfds; i++)
		if ((int)fake.irqfds[i].fd == fd && fake.irqfds[i].gsi == gsi)
			live = !(fake.irqfds[i].flags & KVM_IRQFD_FLAG_DEASSIGN);
	return live;
}

/* The committed MSI route of GSI, or NULL. */
static inline const struct kvm_irq_routing_entry *route_of(uint32_t gsi)
{
	for (unsigned i = 0; i < fake.nroutes; i++)
		if (fake.routes[i].gsi == gsi && fake.routes[i].type == KVM_IRQ_ROUTING_MSI)
			return &fake.routes[i];
	return NULL;
}

/* The last SET_IRQS for INDEX with ACTION, or NULL. */
static inline const struct fake_irqs *last_set_irqs(unsigned index, uint32_t action)
{
	for (unsigned i = fake.nirqs; i-- > 0;)
		if (fake.irqs[i].index == index && (fake.irqs[i].flags & action))
			return &fake.irqs[i];
	return NULL;
}

#endif
