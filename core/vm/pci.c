// SPDX-License-Identifier: GPL-2.0-only
#include "core/vm/pci.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kvm/kvm.h"
#include "core/vm/layout.h"
#include "core/util/bytes.h"
#include "core/util/log.h"
#include "core/vm/vm.h"

/* The host bridge's identity: Red Hat's generic PCIe host bridge ID, the
 * one Linux and pci.ids know for virtual machines' root complexes. */
#define HOST_BRIDGE_VENDOR 0x1b36
#define HOST_BRIDGE_DEVICE 0x0008
#define PCI_CLASS_HOST_BRIDGE 0x060000

/* 0xCF9, the reset control register a PC chipset decodes beside CF8:
 * bit 2 (RST_CPU) performs the reset that bit 1 (SYS_RST) selects. */
#define RST_CNT_RST_CPU 0x04

unsigned pci_intx_gsi(unsigned slot, unsigned pin)
{
	/* Rotate the pins across slots so neighbours don't share a line. */
	return PCI_INTX_GSI_BASE + (slot + pin - 1) % PCI_INTX_GSI_COUNT;
}

static unsigned bar_offset(unsigned index)
{
	return index == PCI_ROM_BAR ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4 * index;
}

void pci_device_init(struct pci_device *d, const char *name, uint16_t vendor, uint16_t device,
		     uint32_t class_code, uint8_t revision)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	le_put(&d->cfg[PCI_VENDOR_ID], 2, vendor);
	le_put(&d->cfg[PCI_DEVICE_ID], 2, device);
	d->cfg[PCI_REVISION_ID] = revision;
	le_put(&d->cfg[PCI_CLASS_PROG], 3, class_code);
	d->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	/* Command: I/O, memory, bus master, SERR, INTx disable. */
	le_put(&d->wmask[PCI_COMMAND], 2,
	       PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_SERR |
		       PCI_COMMAND_PARITY | PCI_COMMAND_INTX_DISABLE);
	/* Status error bits are write-one-to-clear. */
	le_put(&d->w1cmask[PCI_STATUS], 2,
	       PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_REC_TARGET_ABORT |
		       PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR |
		       PCI_STATUS_DETECTED_PARITY);
	d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	d->wmask[PCI_LATENCY_TIMER] = 0xff;
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
}

int pci_device_add_bar(struct pci_device *d, unsigned index, enum pci_bar_type type,
		       uint64_t size, bool prefetchable)
{
	struct pci_bar *b;
	unsigned off;
	uint32_t flags = 0;
	uint64_t mask;

	if (index > PCI_ROM_BAR || (type == PCI_BAR_ROM) != (index == PCI_ROM_BAR))
		return -EINVAL;
	if (type == PCI_BAR_MEM64 && index >= PCI_NUM_BARS - 1)
		return -EINVAL;
	if (size == 0 || (size & (size - 1)))
		return -EINVAL;
	/* Smallest decodable sizes: 4 bytes of I/O, 16 bytes of memory (we
	 * round memory BARs up to a page so KVM can map them), 2 KiB ROM. */
	if (type == PCI_BAR_IO && (size < 4 || size > PCI_IO_BAR_MAX))
		return -EINVAL;
	if ((type == PCI_BAR_MEM32 || type == PCI_BAR_ROM) && size > (1ULL << 31))
		return -EINVAL;
	if (type == PCI_BAR_ROM && size < 2048)
		return -EINVAL;
	if (type != PCI_BAR_IO && size < 16)
		return -EINVAL;

	b = &d->bars[index];
	*b = (struct pci_bar){ .type = type, .size = size, .prefetchable = prefetchable };
	off = bar_offset(index);
	mask = ~(size - 1);
	switch (type) {
	case PCI_BAR_IO:
		flags = PCI_BASE_ADDRESS_SPACE_IO;
		le_put(&d->wmask[off], 4, (uint32_t)mask & PCI_BASE_ADDRESS_IO_MASK);
		break;
	case PCI_BAR_MEM32:
		flags = prefetchable ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0;
		le_put(&d->wmask[off], 4, (uint32_t)mask & PCI_BASE_ADDRESS_MEM_MASK);
		break;
	case PCI_BAR_MEM64:
		flags = PCI_BASE_ADDRESS_MEM_TYPE_64 | (prefetchable ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
		le_put(&d->wmask[off], 4, (uint32_t)mask & PCI_BASE_ADDRESS_MEM_MASK);
		le_put(&d->wmask[off + 4], 4, (uint32_t)(mask >> 32));
		d->bars[index + 1] = (struct pci_bar){ .type = PCI_BAR_NONE };
		break;
	case PCI_BAR_ROM:
		le_put(&d->wmask[off], 4, ((uint32_t)mask & PCI_ROM_ADDRESS_MASK) | PCI_ROM_ADDRESS_ENABLE);
		break;
	default:
		return -EINVAL;
	}
	le_put(&d->cfg[off], 4, flags);
	return 0;
}

/* The address BAR INDEX holds in the emulated config space. */
static uint64_t bar_address(struct pci_device *d, unsigned index)
{
	struct pci_bar *b = &d->bars[index];
	unsigned off = bar_offset(index);
	uint32_t lo = le_get(&d->cfg[off], 4);

	switch (b->type) {
	case PCI_BAR_IO: return lo & PCI_BASE_ADDRESS_IO_MASK;
	case PCI_BAR_MEM32: return lo & PCI_BASE_ADDRESS_MEM_MASK;
	case PCI_BAR_MEM64:
		return (lo & PCI_BASE_ADDRESS_MEM_MASK) | ((uint64_t)le_get(&d->cfg[off + 4], 4) << 32);
	case PCI_BAR_ROM: return lo & PCI_ROM_ADDRESS_MASK;
	default: return 0;
	}
}

static bool bar_enabled(struct pci_device *d, unsigned index)
{
	uint16_t cmd = le_get(&d->cfg[PCI_COMMAND], 2);
	struct pci_bar *b = &d->bars[index];

	switch (b->type) {
	case PCI_BAR_IO: return cmd & PCI_COMMAND_IO;
	case PCI_BAR_MEM32:
	case PCI_BAR_MEM64: return cmd & PCI_COMMAND_MEMORY;
	case PCI_BAR_ROM:
		return (cmd & PCI_COMMAND_MEMORY) &&
		       (le_get(&d->cfg[PCI_ROM_ADDRESS], 4) & PCI_ROM_ADDRESS_ENABLE);
	default: return false;
	}
}

/* An address the BAR can decode: not zero, and the whole BAR strictly
 * below the top of its address space, so neither the all-ones sizing
 * pattern nor a half-written 64-bit BAR counts as an address. */
static bool bar_address_valid(const struct pci_bar *b, uint64_t addr)
{
	uint64_t limit;

	switch (b->type) {
	case PCI_BAR_IO: limit = 0x10000; break;
	case PCI_BAR_MEM32:
	case PCI_BAR_ROM: limit = LAYOUT_PCI_HOLE_END; break;
	default: limit = 1ULL << 52; break;
	}
	return addr != 0 && addr < limit && b->size < limit - addr;
}

/* Bring the BAR's mapping in line with the config space. */
static void update_bar(struct pci_device *d, unsigned index)
{
	struct pci_bar *b = &d->bars[index];
	uint64_t addr = bar_address(d, index);
	bool want = bar_enabled(d, index) && bar_address_valid(b, addr);

	b->addr = addr;
	if (b->mapped && (!want || b->mapped_addr != addr)) {
		if (d->ops && d->ops->bar_map)
			d->ops->bar_map(d, index, b->mapped_addr, false);
		b->mapped = false;
	}
	if (want && !b->mapped) {
		int r = 0;

		if (d->ops && d->ops->bar_map)
			r = d->ops->bar_map(d, index, addr, true);
		if (r < 0) {
			log_debug("pci %02x.0 %s: BAR%u at %#llx not decoded: %s", d->slot, d->name,
				  index, (unsigned long long)addr, strerror(-r));
			return;
		}
		b->mapped = true;
		b->mapped_addr = addr;
	}
}

uint32_t pci_config_read_emulated(struct pci_device *d, unsigned offset, unsigned size)
{
	if (size == 0 || size > 4 || offset >= PCI_CONFIG_SIZE || size > PCI_CONFIG_SIZE - offset)
		return ~0U;
	return le_get(&d->cfg[offset], size);
}

void pci_config_write_emulated(struct pci_device *d, unsigned offset, unsigned size,
			       uint32_t value)
{
	bool bars_changed = false;

	if (size == 0 || size > 4 || offset >= PCI_CONFIG_SIZE || size > PCI_CONFIG_SIZE - offset)
		return;
	for (unsigned i = 0; i < size; i++) {
		unsigned o = offset + i;
		uint8_t v = value >> (8 * i);

		d->cfg[o] = (d->cfg[o] & ~d->wmask[o]) | (v & d->wmask[o]);
		d->cfg[o] &= ~(v & d->w1cmask[o]);
	}
	/* Command register and BARs decide what is decoded where. */
	if (offset < PCI_COMMAND + 2 && offset + size > PCI_COMMAND)
		bars_changed = true;
	if (offset < PCI_BASE_ADDRESS_5 + 4 && offset + size > PCI_BASE_ADDRESS_0)
		bars_changed = true;
	if (offset < PCI_ROM_ADDRESS + 4 && offset + size > PCI_ROM_ADDRESS)
		bars_changed = true;
	if (bars_changed) {
		for (unsigned i = 0; i <= PCI_ROM_BAR; i++)
			if (d->bars[i].type != PCI_BAR_NONE)
				update_bar(d, i);
	}
}

static struct pci_device *lookup(struct pci_host *h, unsigned slot, unsigned fn)
{
	/* Every device is a single-function device at function 0. */
	if (slot >= PCI_MAX_SLOTS || fn != 0)
		return NULL;
	return h->slots[slot];
}

uint32_t pci_host_config_read(struct pci_host *h, unsigned slot, unsigned fn, unsigned offset,
			      unsigned size)
{
	struct pci_device *d;
	uint32_t v;

	/* Config cycles are naturally aligned dword, word or byte accesses. */
	if ((size != 1 && size != 2 && size != 4) || (offset & (size - 1)) ||
	    offset >= PCI_CONFIG_SIZE)
		return ~0U >> (32 - 8 * (size > 4 ? 4 : size ? size : 4));
	pthread_mutex_lock(&h->lock);
	d = lookup(h, slot, fn);
	if (!d)
		v = ~0U;     /* master abort */
	else if (d->ops && d->ops->config_read)
		v = d->ops->config_read(d, offset, size);
	else
		v = pci_config_read_emulated(d, offset, size);
	pthread_mutex_unlock(&h->lock);
	if (size < 4)
		v &= (1U << (8 * size)) - 1;
	return v;
}

void pci_host_config_write(struct pci_host *h, unsigned slot, unsigned fn, unsigned offset,
			   unsigned size, uint32_t value)
{
	struct pci_device *d;

	if ((size != 1 && size != 2 && size != 4) || (offset & (size - 1)) ||
	    offset >= PCI_CONFIG_SIZE)
		return;
	pthread_mutex_lock(&h->lock);
	d = lookup(h, slot, fn);
	if (d) {
		if (d->ops && d->ops->config_write)
			d->ops->config_write(d, offset, size, value);
		else
			pci_config_write_emulated(d, offset, size, value);
	}
	pthread_mutex_unlock(&h->lock);
}

/* ECAM: offset = bus << 20 | device << 15 | function << 12 | register. */
static uint64_t ecam_read(void *opaque, uint64_t offset, unsigned size)
{
	if (size > 4)
		return ~0ULL;
	return pci_host_config_read(opaque, (offset >> 15) & 0x1f, (offset >> 12) & 7,
				    offset & 0xfff, size);
}

static void ecam_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	if (size > 4)
		return;
	pci_host_config_write(opaque, (offset >> 15) & 0x1f, (offset >> 12) & 7, offset & 0xfff,
			      size, (uint32_t)value);
}

static const struct bus_ops ecam_ops = { .read = ecam_read, .write = ecam_write };

/* CF8 (address), CF9 (reset control), CFC-CFF (data). */
static bool cf8_target(struct pci_host *h, unsigned port_off, unsigned size, unsigned *slot,
		       unsigned *fn, unsigned *reg)
{
	uint32_t a = h->cf8;

	if (!(a & 0x80000000U) || ((a >> 16) & 0xff) != 0)
		return false;
	*slot = (a >> 11) & 0x1f;
	*fn = (a >> 8) & 7;
	*reg = (a & 0xfc) + (port_off - 4);
	return (port_off - 4) + size <= 4;
}

static uint64_t cf8_read(void *opaque, uint64_t offset, unsigned size)
{
	struct pci_host *h = opaque;
	unsigned slot, fn, reg;
	uint32_t a;

	if (offset == 0 && size == 4) {
		pthread_mutex_lock(&h->lock);
		a = h->cf8;
		pthread_mutex_unlock(&h->lock);
		return a;
	}
	if (offset == 1 && size == 1)
		return 0;
	if (offset < 4)
		return ~0ULL;
	pthread_mutex_lock(&h->lock);
	a = cf8_target(h, (unsigned)offset, size, &slot, &fn, &reg);
	pthread_mutex_unlock(&h->lock);
	if (!a)
		return ~0ULL;
	return pci_host_config_read(h, slot, fn, reg, size);
}

static void cf8_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct pci_host *h = opaque;
	unsigned slot, fn, reg;
	bool ok;

	if (offset == 0 && size == 4) {
		pthread_mutex_lock(&h->lock);
		h->cf8 = (uint32_t)value;
		pthread_mutex_unlock(&h->lock);
		return;
	}
	if (offset == 1 && size == 1) {
		if (value & RST_CNT_RST_CPU)
			vm_request_stop(h->vm, VM_STOP_RESET, 0);
		return;
	}
	if (offset < 4)
		return;
	pthread_mutex_lock(&h->lock);
	ok = cf8_target(h, (unsigned)offset, size, &slot, &fn, &reg);
	pthread_mutex_unlock(&h->lock);
	if (ok)
		pci_host_config_write(h, slot, fn, reg, size, (uint32_t)value);
}

static const struct bus_ops cf8_ops = { .read = cf8_read, .write = cf8_write };

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Give BAR INDEX an address from its window, as firmware would. */
static int assign_bar(struct pci_host *h, struct pci_device *d, unsigned index)
{
	struct pci_bar *b = &d->bars[index];
	unsigned off = bar_offset(index);
	uint64_t *next, end, addr, size = b->size;

	switch (b->type) {
	case PCI_BAR_IO: {
		uint64_t a = align_up(h->io_next, size);

		if (a + size > PCI_IO_WINDOW_END)
			return -ENOSPC;
		h->io_next = (uint32_t)(a + size);
		le_put(&d->cfg[off], 4, (uint32_t)a | PCI_BASE_ADDRESS_SPACE_IO);
		b->addr = a;
		return 0;
	}
	case PCI_BAR_MEM64:
		next = &h->mmio64_next;
		end = h->mmio64_end;
		break;
	case PCI_BAR_MEM32:
	case PCI_BAR_ROM:
		next = &h->mmio32_next;
		end = h->mmio32_end;
		/* Memory BARs get at least a page, so KVM can map them. */
		if (size < 4096)
			size = 4096;
		break;
	default:
		return 0;
	}
	addr = align_up(*next, size);
	if (addr + size > end || addr + size < addr)
		return -ENOSPC;
	*next = addr + size;
	b->addr = addr;
	le_put(&d->cfg[off], 4, (uint32_t)addr | (le_get(&d->cfg[off], 4) & ~PCI_BASE_ADDRESS_MEM_MASK & 0xf));
	if (b->type == PCI_BAR_ROM)
		le_put(&d->cfg[off], 4, (uint32_t)addr);
	if (b->type == PCI_BAR_MEM64)
		le_put(&d->cfg[off + 4], 4, (uint32_t)(addr >> 32));
	return 0;
}

int pci_host_add_device(struct pci_host *h, struct pci_device *d, int slot, unsigned pin)
{
	unsigned order[PCI_NUM_BARS + 1], n = 0;
	int r = 0;

	if (pin > 4)
		return -EINVAL;
	pthread_mutex_lock(&h->lock);
	if (slot < 0) {
		for (unsigned s = 1; s < PCI_MAX_SLOTS && slot < 0; s++)
			if (!h->slots[s])
				slot = (int)s;
		if (slot < 0) {
			r = -EBUSY;
			goto out;
		}
	} else if (slot >= PCI_MAX_SLOTS || h->slots[slot]) {
		r = -EBUSY;
		goto out;
	}
	d->host = h;
	d->slot = (unsigned)slot;

	/* Largest BARs first, so alignment wastes the least. */
	for (unsigned i = 0; i <= PCI_ROM_BAR; i++)
		if (d->bars[i].type != PCI_BAR_NONE)
			order[n++] = i;
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && d->bars[order[j]].size > d->bars[order[j - 1]].size; j--) {
			unsigned t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (unsigned i = 0; i < n; i++) {
		r = assign_bar(h, d, order[i]);
		if (r < 0)
			goto out;
	}

	if (pin) {
		d->intx_gsi = pci_intx_gsi(d->slot, pin);
		d->cfg[PCI_INTERRUPT_PIN] = pin;
		d->cfg[PCI_INTERRUPT_LINE] = d->intx_gsi;
	}
	h->slots[slot] = d;
out:
	pthread_mutex_unlock(&h->lock);
	return r;
}

void pci_host_remove_device(struct pci_host *h, struct pci_device *d)
{
	pthread_mutex_lock(&h->lock);
	if (d->slot < PCI_MAX_SLOTS && h->slots[d->slot] == d)
		h->slots[d->slot] = NULL;
	pthread_mutex_unlock(&h->lock);
}

int pci_host_init(struct vm *vm)
{
	struct pci_host *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return -ENOMEM;
	vm->pci = h;
	h->vm = vm;
	pthread_mutex_init(&h->lock, NULL);
	h->mmio32_next = LAYOUT_MMIO32_START;
	h->mmio32_end = LAYOUT_MMIO32_START + LAYOUT_MMIO32_SIZE;
	/* Up to the highest address the guest can reach: a device's BARs
	 * decide how much of it the window takes (pci_host_size_mmio64()). */
	h->phys_bits = kvm_phys_bits(&vm->kvm);
	h->mmio64_next = vm->mem.layout.mmio64_base;
	h->mmio64_end = 1ULL << h->phys_bits;
	if (h->mmio64_end < h->mmio64_next)
		h->mmio64_end = h->mmio64_next;
	h->io_next = PCI_IO_WINDOW_START;

	pci_device_init(&h->bridge, "host-bridge", HOST_BRIDGE_VENDOR, HOST_BRIDGE_DEVICE,
			PCI_CLASS_HOST_BRIDGE, 0);
	r = pci_host_add_device(h, &h->bridge, 0, 0);
	if (r < 0)
		return r;
	r = bus_register(&vm->mmio, LAYOUT_ECAM_START, LAYOUT_ECAM_SIZE, "pci-ecam", &ecam_ops, h);
	if (r < 0)
		return r;
	return bus_register(&vm->pio, PORT_PCI_CONFIG, 8, "pci-cf8", &cf8_ops, h);
}

/*
 * Every type 1 config cycle is a CF8 write then a CFC access, and Linux's
 * early PCI quirks probe all 256 buses that way (16K cycles). The address
 * write only matters to the data access that follows, which exits and
 * flushes it, so KVM may queue it: half the exits. A byte write to the
 * reset register at 0xcf9 is queued too and takes effect at the next exit.
 */
int pci_host_attach(struct vm *vm)
{
	return kvm_coalesce_pio(&vm->kvm, PORT_PCI_CONFIG, 4);
}

void pci_host_size_mmio64(struct vm *vm)
{
	struct pci_host *h = vm->pci;
	struct mem_layout *l = &vm->mem.layout;
	uint64_t used = h->mmio64_next - l->mmio64_base, size = LAYOUT_MMIO64_SIZE;

	/* Twice what the BARs take, so that a BAR as large as all of them
	 * together would still fit (Linux moves BARs within the window). */
	while (size < 2 * used && size < (1ULL << 62))
		size <<= 1;
	if (size > h->mmio64_end - l->mmio64_base)
		size = h->mmio64_end - l->mmio64_base;
	l->mmio64_size = size;
}

static void describe_windows(struct pci_host *h, char *buf, size_t len)
{
	char w32[32], w64[32];

	snprintf(buf, len, "32-bit: %s free at 0x%llx; 64-bit: %s free at 0x%llx, up to 0x%llx (%u "
		 "physical address bits)",
		 bytes_format_size(h->mmio32_end - h->mmio32_next, w32, sizeof(w32)),
		 (unsigned long long)h->mmio32_next,
		 bytes_format_size(h->mmio64_end - h->mmio64_next, w64, sizeof(w64)),
		 (unsigned long long)h->mmio64_next, (unsigned long long)h->mmio64_end, h->phys_bits);
}

/* "BAR0 16 KiB, BAR2 8 GiB 64-bit". */
static void describe_bars(const struct pci_device *d, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i <= PCI_ROM_BAR && used < len; i++) {
		const struct pci_bar *b = &d->bars[i];
		char s[32];

		if (b->type == PCI_BAR_NONE)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s%u %s%s", used ? ", " : "",
					 i == PCI_ROM_BAR ? "ROM" : "BAR", i == PCI_ROM_BAR ? 0 : i,
					 bytes_format_size(b->size, s, sizeof(s)),
					 b->type == PCI_BAR_MEM64 ? " 64-bit" :
					 b->type == PCI_BAR_IO ? " I/O" : "");
	}
}

bool pci_host_explain_refusal(struct pci_host *h, const struct pci_device *d, int r, char *buf,
			      size_t len)
{
	char bars[160], windows[256];

	if (r == -EBUSY) {
		snprintf(buf, len, "no PCI slot is free for it (a guest has %u)", PCI_MAX_SLOTS - 1);
		return true;
	}
	if (r != -ENOSPC)
		return false;
	describe_bars(d, bars, sizeof(bars));
	describe_windows(h, windows, sizeof(windows));
	snprintf(buf, len, "its BARs (%s) do not fit in the guest's MMIO windows (%s)", bars, windows);
	return true;
}

void pci_host_reset(struct vm *vm)
{
	struct pci_host *h = vm->pci;

	pthread_mutex_lock(&h->lock);
	h->cf8 = 0;
	pthread_mutex_unlock(&h->lock);
	for (unsigned s = 0; s < PCI_MAX_SLOTS; s++) {
		struct pci_device *d = h->slots[s];

		if (!d)
			continue;
		/* Decoding off, as after a bus reset; BAR addresses stay. */
		pci_host_config_write(h, s, 0, PCI_COMMAND, 2, 0);
		if (d->ops && d->ops->reset)
			d->ops->reset(d);
	}
}

void pci_host_exit(struct vm *vm)
{
	struct pci_host *h = vm->pci;

	if (!h)
		return;
	pthread_mutex_destroy(&h->lock);
	free(h);
	vm->pci = NULL;
}
