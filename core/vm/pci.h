/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The PCI host bridge: bus 0 reached through ECAM (MMIO, MCFG) and the
 * legacy CF8/CFC ports, device 00:00.0, and a registry of devices on the
 * bus: up to 8 functions in each of its 32 slots (a GPU and its HDMI audio
 * are functions 0 and 1 of one slot, as on the host). Each function is a
 * struct pci_device with an emulated config space (with write masks) that
 * implements BAR sizing the way hardware does; a device can override
 * config access (VFIO passes parts through) and is told when the guest
 * moves or enables a BAR so it can (re)map it. pci.c is the host bridge
 * and the bus, pci_device.c a function's emulated config space.
 */
#ifndef PARTVM_PCI_H
#define PARTVM_PCI_H

#include <linux/pci_regs.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;
struct pci_host;
struct pci_device;

#define PCI_MAX_SLOTS 32
#define PCI_MAX_FUNCTIONS 8
#define PCI_NUM_BARS 6
#define PCI_ROM_BAR 6           /* index of the expansion ROM in bars[] */
#define PCI_CONFIG_SIZE PCI_CFG_SPACE_EXP_SIZE
/* Header Type bit 7: the device has functions besides 0 (PCI 3.0 6.2.1);
 * newer kernels' pci_regs.h have the name. */
#ifndef PCI_HEADER_TYPE_MFD
#define PCI_HEADER_TYPE_MFD 0x80
#endif

/* Window for I/O BARs, inside the DSDT's I/O window. */
#define PCI_IO_WINDOW_START 0xc000
#define PCI_IO_WINDOW_END   0x10000
#define PCI_IO_BAR_MAX      256     /* the largest I/O BAR (PCI 3.0, 6.2.5.1) */

/* Where BAR INDEX (PCI_ROM_BAR: the expansion ROM) is in config space. */
static inline unsigned pci_bar_offset(unsigned index)
{
	return index == PCI_ROM_BAR ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4 * index;
}

/* The smallest power of two >= V (a BAR's size for V bytes); 0 past 2^63. */
static inline uint64_t pci_pow2_ceil(uint64_t v)
{
	uint64_t r = 1;

	while (r < v && r)
		r <<= 1;
	return r;
}

enum pci_bar_type {
	PCI_BAR_NONE,
	PCI_BAR_IO,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64,
	PCI_BAR_ROM,
};

struct pci_bar {
	enum pci_bar_type type;
	bool prefetchable;
	uint64_t size;              /* power of two; 0 when unimplemented */
	uint64_t addr;              /* as programmed by the guest */
	bool mapped;                /* currently decoded at addr */
	uint64_t mapped_addr;
};

struct pci_device_ops {
	/* Optional config-space overrides; NULL means the emulated space. */
	uint32_t (*config_read)(struct pci_device *d, unsigned offset, unsigned size);
	void (*config_write)(struct pci_device *d, unsigned offset, unsigned size, uint32_t value);
	/* The guest enabled, disabled or moved BAR INDEX. ENABLE false means
	 * stop decoding (ADDR is the old address). Returns 0 or -errno; a
	 * failure leaves the BAR unmapped. */
	int (*bar_map)(struct pci_device *d, unsigned index, uint64_t addr, bool enable);
	void (*reset)(struct pci_device *d);
};

struct pci_device {
	struct pci_host *host;
	unsigned slot;
	unsigned fn;                       /* its function in the slot, 0-7 */
	char name[32];
	const struct pci_device_ops *ops;
	void *opaque;

	uint8_t cfg[PCI_CONFIG_SIZE];
	uint8_t wmask[PCI_CONFIG_SIZE];    /* bits the guest may write */
	uint8_t w1cmask[PCI_CONFIG_SIZE];  /* bits cleared by writing one */
	struct pci_bar bars[PCI_NUM_BARS + 1];
	unsigned intx_gsi;                 /* 0 when the device has no INTx pin */
};

struct pci_host {
	struct vm *vm;
	pthread_mutex_t lock;              /* config cycles; CF8 is shared state */
	uint32_t cf8;
	/* [slot][function]. A guest looks for a slot's other functions only
	 * when function 0 is there (and says it has more), so config cycles
	 * reach them only then. */
	struct pci_device *slots[PCI_MAX_SLOTS][PCI_MAX_FUNCTIONS];
	struct pci_device bridge;
	/* Allocation cursors for BARs the VMM assigns at start, like firmware.
	 * The 64-bit window runs from the layout's base up to what the guest's
	 * physical address bits reach; pci_host_size_mmio64() then sizes it. */
	uint64_t mmio32_next, mmio32_end;
	uint64_t mmio64_next, mmio64_end;
	unsigned phys_bits;
	uint32_t io_next;
};

/* GSI of INTx PIN (1 = INTA .. 4 = INTD) of SLOT, as the DSDT's _PRT says. */
unsigned pci_intx_gsi(unsigned slot, unsigned pin);

int pci_host_init(struct vm *vm);
void pci_host_exit(struct vm *vm);
/* Once every device is plugged in: the 64-bit window the ACPI tables
 * declare (the layout's mmio64_size) covers their BARs with room to spare,
 * a power of two at least LAYOUT_MMIO64_SIZE, within the address bits. */
void pci_host_size_mmio64(struct vm *vm);
/* Why pci_host_add_device() or pci_host_add_function() refused D with R,
 * for its caller's message: "no PCI slot is free for it (a guest has 31)"
 * for -EBUSY ("function 1 of guest slot 05 is taken" for a function other
 * than 0), "guest slot 05 has no function 0, and a guest looks for function
 * 1 only beside one" for -EADDRNOTAVAIL, "its BARs
 * (BAR0 16 MiB, BAR2 256 GiB 64-bit) do not fit in the guest's MMIO windows
 * (32-bit: 1536 MiB free at 0x80000000; 64-bit: 0 bytes free at
 * 0x8000000000, up to 0x8000000000 (39 physical address bits))" for
 * -ENOSPC. False (BUF untouched) for any other R. */
bool pci_host_explain_refusal(struct pci_host *h, const struct pci_device *d, int r, char *buf,
			      size_t len);
int pci_host_attach(struct vm *vm);
void pci_host_reset(struct vm *vm);

/*
 * Set up D's emulated header (type 0) with IDs and class, then add BARs
 * with pci_device_add_bar() and plug it in with pci_host_add_device().
 */
void pci_device_init(struct pci_device *d, const char *name, uint16_t vendor, uint16_t device,
		     uint32_t class_code, uint8_t revision);
int pci_device_add_bar(struct pci_device *d, unsigned index, enum pci_bar_type type,
		       uint64_t size, bool prefetchable);
/*
 * Plug D into SLOT as function FN (0-7) and give its BARs addresses from
 * the windows. SLOT -1 means function 0 of the first free slot (one with
 * no function). A function other than 0 joins a slot whose function 0 is
 * there already. PIN 0 means no INTx; the functions of a slot share its
 * _PRT entries (pci_intx_gsi()). Whatever a function's config space says,
 * bit 7 of its Header Type (PCI_HEADER_TYPE_MFD) reads as set exactly
 * while its slot has more than one function. -EINVAL: SLOT, FN or PIN out
 * of range, or SLOT -1 with FN other than 0; -EBUSY: the function is taken,
 * or no slot is free; -EADDRNOTAVAIL: FN other than 0 in a slot without
 * function 0; -ENOSPC: a BAR does not fit its window.
 */
int pci_host_add_function(struct pci_host *h, struct pci_device *d, int slot, unsigned fn,
			  unsigned pin);
/* pci_host_add_function() at function 0: a device in a slot of its own,
 * until functions join it. */
int pci_host_add_device(struct pci_host *h, struct pci_device *d, int slot, unsigned pin);
/* Unplug D, whichever function it is. With function 0 gone the slot's
 * other functions are out of the guest's reach too, until it comes back. */
void pci_host_remove_device(struct pci_host *h, struct pci_device *d);

/* The emulated config space, for devices that override only parts. */
uint32_t pci_config_read_emulated(struct pci_device *d, unsigned offset, unsigned size);
void pci_config_write_emulated(struct pci_device *d, unsigned offset, unsigned size,
			       uint32_t value);

/* Config access as the buses deliver it (SLOT on bus 0, function FN). */
uint32_t pci_host_config_read(struct pci_host *h, unsigned slot, unsigned fn, unsigned offset,
			      unsigned size);
void pci_host_config_write(struct pci_host *h, unsigned slot, unsigned fn, unsigned offset,
			   unsigned size, uint32_t value);

#endif
