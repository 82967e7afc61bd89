/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A VM without KVM for virtio device tests: guest RAM, the buses and the
 * PCI host bridge, and a driver written here that finds the device's
 * capabilities, negotiates features, sets up queues through the common
 * configuration and posts buffers the way Linux's virtio_pci_modern does.
 * Header-only so that only tests using it carry it.
 */
#ifndef PARTVM_TEST_VIRTIO_FAKE_H
#define PARTVM_TEST_VIRTIO_FAKE_H

#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <string.h>
#include <time.h>

#include "core/board.h"
#include "core/kvm/kvm.h"
#include "core/virtio/internal.h"
#include "core/vm/config.h"
#include "core/vm/device.h"
#include "core/vm/layout.h"
#include "core/vm/pci.h"
#include "core/vm/vm.h"

#define FAKE_RAM (64ULL << 20)

struct fake_vm {
	struct vm vm;
	struct vm_config cfg;
	struct device dev;
	struct device_conf dc;
	uint64_t bar;            /* BAR0 as the guest programmed it */
	unsigned slot;
};

static inline void fake_virtio_vm(struct fake_vm *f)
{
	memset(f, 0, sizeof(*f));
	config_init(&f->cfg, board_device_types);
	f->vm.cfg = &f->cfg;
	f->vm.ncpus = 1;
	kvm_init(&f->vm.kvm);
	pthread_mutex_init(&f->vm.lock, NULL);
	assert_int_equal(bus_init(&f->vm.pio, "pio"), 0);
	assert_int_equal(bus_init(&f->vm.mmio, "mmio"), 0);
	assert_int_equal(memory_map(&f->vm.mem, FAKE_RAM, MEMORY_BACKING_ANONYMOUS, LAYOUT_DIRECT_BOOT), 0);
	assert_int_equal(pci_host_init(&f->vm), 0);
}

/* Create the device the config TEXT describes (one device section) and
 * find it on the bus, BAR0 decoded at its assigned address. */
static inline struct virtio_dev *fake_virtio_device(struct fake_vm *f, const char *text)
{
	struct config_error err = { { 0 } };
	const struct device_conf *dc;
	struct pci_device *d = NULL;

	if (config_load_string(&f->cfg, "test.conf", text, &err) < 0)
		fail_msg("config: %s", err.msg);
	assert_int_equal(f->cfg.ndevices, 1);
	dc = &f->cfg.devices[0];
	f->dev = (struct device){ .type = dc->type, .vm = &f->vm, .dc = dc };
	snprintf(f->dev.name, sizeof(f->dev.name), "%s0", dc->type->name);
	assert_int_equal(dc->type->create(&f->dev, NULL), 0);
	for (unsigned s = 1; s < PCI_MAX_SLOTS && !d; s++)
		if (f->vm.pci->slots[s][0]) {
			d = f->vm.pci->slots[s][0];
			f->slot = s;
		}
	assert_non_null(d);
	f->bar = (pci_host_config_read(f->vm.pci, f->slot, 0, PCI_BASE_ADDRESS_0, 4) & ~0xfULL) |
		 (uint64_t)pci_host_config_read(f->vm.pci, f->slot, 0, PCI_BASE_ADDRESS_1, 4) << 32;
	pci_host_config_write(f->vm.pci, f->slot, 0, PCI_COMMAND, 2,
			      PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return f->dev.priv;
}

static inline void fake_virtio_free(struct fake_vm *f)
{
	if (f->dev.type && f->dev.type->stop)
		f->dev.type->stop(&f->dev);
	if (f->dev.type && f->dev.type->free)
		f->dev.type->free(&f->dev);
	pci_host_exit(&f->vm);
	bus_destroy(&f->vm.pio);
	bus_destroy(&f->vm.mmio);
	memory_unmap(&f->vm.mem);
	kvm_release(&f->vm.kvm);
	config_free(&f->cfg);
}

static inline uint64_t bar_rd(struct fake_vm *f, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	assert_true(bus_read(&f->vm.mmio, f->bar + off, size, &v));
	return v;
}

static inline void bar_wr(struct fake_vm *f, uint64_t off, unsigned size, uint64_t v)
{
	assert_true(bus_write(&f->vm.mmio, f->bar + off, size, v));
}

static inline void *gpa(struct fake_vm *f, uint64_t a)
{
	void *p = memory_guest_ptr(&f->vm.mem, a, 1);

	assert_non_null(p);
	return p;
}

static inline uint8_t status_rd(struct fake_vm *f)
{
	return (uint8_t)bar_rd(f, VIRTIO_BAR_COMMON + VIRTIO_PCI_COMMON_STATUS, 1);
}

static inline void status_wr(struct fake_vm *f, uint8_t s)
{
	bar_wr(f, VIRTIO_BAR_COMMON + VIRTIO_PCI_COMMON_STATUS, 1, s);
}

static inline uint64_t device_features(struct fake_vm *f)
{
	bar_wr(f, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	uint64_t lo = bar_rd(f, VIRTIO_PCI_COMMON_DF, 4);
	bar_wr(f, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	return lo | bar_rd(f, VIRTIO_PCI_COMMON_DF, 4) << 32;
}

static inline void driver_features(struct fake_vm *f, uint64_t features)
{
	bar_wr(f, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	bar_wr(f, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)features);
	bar_wr(f, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	bar_wr(f, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)(features >> 32));
}

/* Rings of queue Q at 1 MiB + Q * 64 KiB: descriptors, available, used. */
#define RING_BASE(q)  (0x100000ULL + (uint64_t)(q) * 0x10000)
#define RING_DESC(q)  RING_BASE(q)
#define RING_AVAIL(q) (RING_BASE(q) + 0x4000)
#define RING_USED(q)  (RING_BASE(q) + 0x8000)

static inline void queue_setup(struct fake_vm *f, unsigned q, uint16_t size)
{
	memset(gpa(f, RING_BASE(q)), 0, 0x10000);
	bar_wr(f, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
	bar_wr(f, VIRTIO_PCI_COMMON_Q_SIZE, 2, size);
	bar_wr(f, VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)RING_DESC(q));
	bar_wr(f, VIRTIO_PCI_COMMON_Q_DESCHI, 4, 0);
	bar_wr(f, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, (uint32_t)RING_AVAIL(q));
	bar_wr(f, VIRTIO_PCI_COMMON_Q_AVAILHI, 4, 0);
	bar_wr(f, VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)RING_USED(q));
	bar_wr(f, VIRTIO_PCI_COMMON_Q_USEDHI, 4, 0);
	bar_wr(f, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
}

/* The driver's start (3.1.1): reset, ACK, DRIVER, features, FEATURES_OK,
 * queues, DRIVER_OK. Returns the status read back. */
static inline uint8_t driver_init(struct fake_vm *f, uint64_t features, unsigned nq, uint16_t qsize)
{
	status_wr(f, 0);
	status_wr(f, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	status_wr(f, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	driver_features(f, features);
	status_wr(f, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(status_rd(f) & VIRTIO_CONFIG_S_FEATURES_OK))
		return status_rd(f);
	for (unsigned q = 0; q < nq; q++)
		queue_setup(f, q, qsize);
	status_wr(f, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			     VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	return status_rd(f);
}

static inline void put_desc_at(struct fake_vm *f, uint64_t table, unsigned i, uint64_t addr,
			       uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = gpa(f, table + 16 * i);

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

/* Make HEAD available on queue Q (of SIZE entries) and ring its doorbell. */
static inline void offer_and_kick(struct fake_vm *f, unsigned q, uint16_t size, uint16_t head)
{
	uint16_t *idx = gpa(f, RING_AVAIL(q) + 2), *ring = gpa(f, RING_AVAIL(q) + 4);

	ring[*idx % size] = head;
	__atomic_store_n(idx, (uint16_t)(*idx + 1), __ATOMIC_RELEASE);
	bar_wr(f, VIRTIO_BAR_NOTIFY + q * VIRTIO_NOTIFY_MULT, 2, q);
}

static inline uint16_t used_idx(struct fake_vm *f, unsigned q)
{
	return __atomic_load_n((uint16_t *)gpa(f, RING_USED(q) + 2), __ATOMIC_ACQUIRE);
}

/* The Nth used entry of queue Q: its id and len. */
static inline void used_elem(struct fake_vm *f, unsigned q, uint16_t size, uint16_t n, uint32_t *id,
			     uint32_t *len)
{
	uint32_t *e = gpa(f, RING_USED(q) + 4 + 8 * (uint64_t)(n % size));

	*id = e[0];
	*len = e[1];
}

/* Wait up to MS for queue Q's used index to reach WANT. */
static inline bool wait_used(struct fake_vm *f, unsigned q, uint16_t want, unsigned ms)
{
	struct timespec ts = { 0, 1000000 };

	for (unsigned i = 0; i < ms; i++) {
		if ((uint16_t)(used_idx(f, q) - want) < 0x8000)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

#endif
