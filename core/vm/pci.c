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
/* What edk2's CloudHv platform looks for at 00:00.0 (CLOUDHV_DEVICE_ID,
 * under Intel's vendor ID as Cloud Hypervisor has it). */
#define FW_HOST_BRIDGE_VENDOR 0x8086
#define FW_HOST_BRIDGE_DEVICE 0x0d57
#define PCI_CLASS_HOST_BRIDGE 0x060000

/* 0xCF9, the reset control register a PC chipset decodes beside CF8:
 * bit 2 (RST_CPU) performs the reset that bit 1 (SYS_RST) selects. */
#define RST_CNT_RST_CPU 0x04

unsigned pci_intx_gsi(unsigned slot, unsigned pin)
{
	/* Rotate the pins across slots so neighbours don't share a line. */
	return PCI_INTX_GSI_BASE + (slot + pin - 1) % PCI_INTX_GSI_COUNT;
}

/* The function a config cycle reaches; NULL for a master abort. */
static struct pci_device *lookup(struct pci_host *h, unsigned slot, unsigned fn)
{
	if (slot >= PCI_MAX_SLOTS || fn >= PCI_MAX_FUNCTIONS || !h->slots[slot][0])
		return NULL;
	return h->slots[slot][fn];
}

static unsigned count_functions(const struct pci_host *h, unsigned slot)
{
	unsigned n = 0;

	for (unsigned fn = 0; fn < PCI_MAX_FUNCTIONS; fn++)
		n += h->slots[slot][fn] != NULL;
	return n;
}

/* PCI 3.0 6.2.1: bit 7 of Header Type says whether the device has
 * functions besides 0, and a guest scans functions 1-7 only when function
 * 0 says so. That is the bus's to say, not the function's: a GPU reports
 * it set although partvm passes only its function 0 (the guest would look
 * for an audio function that is not there), and an emulated device leaves
 * it clear. V is a read of SIZE bytes at OFFSET of a function in SLOT. */
static uint32_t fix_header_type(const struct pci_host *h, unsigned slot, unsigned offset,
				unsigned size, uint32_t v)
{
	uint32_t bit;

	if (offset > PCI_HEADER_TYPE || offset + size <= PCI_HEADER_TYPE)
		return v;
	bit = (uint32_t)PCI_HEADER_TYPE_MFD << (8 * (PCI_HEADER_TYPE - offset));
	return count_functions(h, slot) > 1 ? v | bit : v & ~bit;
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
	if (d)
		v = fix_header_type(h, slot, offset, size, v);
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

/* Where SIZE bytes, naturally aligned, go at NEXT in a window that ends
 * at END; 0 (no window starts there) when they do not fit. */
static uint64_t window_fit(uint64_t next, uint64_t end, uint64_t size)
{
	uint64_t addr = align_up(next, size);

	return addr + size > end || addr + size < addr ? 0 : addr;
}

/* Give BAR INDEX an address from its window, as firmware would. */
static int assign_bar(struct pci_host *h, struct pci_device *d, unsigned index)
{
	struct pci_bar *b = &d->bars[index];
	unsigned off = pci_bar_offset(index);
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
		/* Below 4 GiB when the 64-bit window cannot hold it, as
		 * firmware does: a 64-bit BAR may lie anywhere. */
		if (window_fit(*next, end, size))
			break;
		/* fall through */
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
	addr = window_fit(*next, end, size);
	if (!addr)
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

/* The first slot with no function; -1 when all are taken. Slot 0 is
 * the host bridge's. */
static int free_slot(const struct pci_host *h)
{
	for (unsigned s = 1; s < PCI_MAX_SLOTS; s++)
		if (!count_functions(h, s))
			return (int)s;
	return -1;
}

int pci_host_add_function(struct pci_host *h, struct pci_device *d, int slot, unsigned fn,
			  unsigned pin)
{
	unsigned order[PCI_NUM_BARS + 1], n = 0;
	int r = 0;

	if (pin > 4 || fn >= PCI_MAX_FUNCTIONS || slot >= PCI_MAX_SLOTS || (slot < 0 && fn))
		return -EINVAL;
	/* Before the checks, so that pci_host_explain_refusal() can name
	 * the slot and function. */
	d->fn = fn;
	pthread_mutex_lock(&h->lock);
	if (slot < 0)
		slot = free_slot(h);
	if (slot < 0) {
		r = -EBUSY;
		goto out;
	}
	d->slot = (unsigned)slot;
	if (h->slots[slot][fn]) {
		r = -EBUSY;
		goto out;
	}
	if (fn && !h->slots[slot][0]) {
		r = -EADDRNOTAVAIL;
		goto out;
	}
	d->host = h;

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
	h->slots[slot][fn] = d;
out:
	pthread_mutex_unlock(&h->lock);
	return r;
}

int pci_host_add_device(struct pci_host *h, struct pci_device *d, int slot, unsigned pin)
{
	return pci_host_add_function(h, d, slot, 0, pin);
}

void pci_host_remove_device(struct pci_host *h, struct pci_device *d)
{
	pthread_mutex_lock(&h->lock);
	if (d->slot < PCI_MAX_SLOTS && d->fn < PCI_MAX_FUNCTIONS && h->slots[d->slot][d->fn] == d)
		h->slots[d->slot][d->fn] = NULL;
	pthread_mutex_unlock(&h->lock);
}

int pci_host_init(struct vm *vm)
{
	struct pci_host *h = calloc(1, sizeof(*h));
	bool fw;
	int r;

	if (!h)
		return -ENOMEM;
	vm->pci = h;
	h->vm = vm;
	pthread_mutex_init(&h->lock, NULL);
	h->mmio32_next = vm->mem.layout.mmio32_base;
	h->mmio32_end = vm->mem.layout.mmio32_base + vm->mem.layout.mmio32_size;
	/* Up to the highest address the guest can reach: a device's BARs
	 * decide how much of it the window takes (pci_host_size_mmio64()). */
	h->phys_bits = kvm_phys_bits(&vm->kvm);
	fw = vm->mem.layout.platform == LAYOUT_FIRMWARE;
	/* With few address bits (36: 64 GiB; 35 in the lab that tests VFs)
	 * nothing is left at the first multiple of 64 GiB above RAM: then the
	 * window starts at the first GiB above RAM. */
	if (!fw && vm->mem.layout.mmio64_base + LAYOUT_MMIO64_SIZE > 1ULL << h->phys_bits)
		vm->mem.layout.mmio64_base = align_up(vm->mem.layout.high_end, SZ_1G);
	h->mmio64_next = vm->mem.layout.mmio64_base;
	h->mmio64_end = 1ULL << h->phys_bits;
	if (h->mmio64_end < h->mmio64_next)
		h->mmio64_end = h->mmio64_next;
	h->io_next = PCI_IO_WINDOW_START;

	pci_device_init(&h->bridge, "host-bridge", fw ? FW_HOST_BRIDGE_VENDOR : HOST_BRIDGE_VENDOR,
			fw ? FW_HOST_BRIDGE_DEVICE : HOST_BRIDGE_DEVICE, PCI_CLASS_HOST_BRIDGE, 0);
	r = pci_host_add_device(h, &h->bridge, 0, 0);
	if (r < 0)
		return r;
	r = bus_register(&vm->mmio, vm->mem.layout.ecam_base, LAYOUT_ECAM_SIZE, "pci-ecam", &ecam_ops, h);
	if (r < 0)
		return r;
	return bus_register(&vm->pio, PORT_PCI_CONFIG, 8, "pci-cf8", &cf8_ops, h);
}

/*
 * Every type 1 config cycle is a CF8 write then a CFC access, and Linux on
 * the AMD families that had a GART reads a register of every slot of all
 * 256 buses that way, twice, looking for an AGP bridge (16K cycles). The address
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

	/* The firmware's aperture is its own: it places the BARs there. */
	if (l->platform == LAYOUT_FIRMWARE) {
		if (used > l->mmio64_size)
			log_warning("the 64-bit BARs take %llu MiB, more than the firmware's %llu GiB "
				    "aperture: the firmware cannot place them all",
				    (unsigned long long)(used >> 20),
				    (unsigned long long)(l->mmio64_size >> 30));
		return;
	}

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

	if (r == -EBUSY && d->fn) {
		snprintf(buf, len, "function %u of guest slot %02x is taken", d->fn, d->slot);
		return true;
	}
	if (r == -EBUSY) {
		snprintf(buf, len, "no PCI slot is free for it (a guest has %u)", PCI_MAX_SLOTS - 1);
		return true;
	}
	if (r == -EADDRNOTAVAIL) {
		snprintf(buf, len, "guest slot %02x has no function 0, and a guest looks for function "
			 "%u only beside one", d->slot, d->fn);
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
	for (unsigned s = 0; s < PCI_MAX_SLOTS; s++)
		for (unsigned fn = 0; fn < PCI_MAX_FUNCTIONS; fn++) {
			struct pci_device *d = h->slots[s][fn];

			if (!d)
				continue;
			/* Decoding off, as after a bus reset; BAR addresses stay. */
			pci_host_config_write(h, s, fn, PCI_COMMAND, 2, 0);
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
