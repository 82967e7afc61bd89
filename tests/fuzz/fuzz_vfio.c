// SPDX-License-Identifier: GPL-2.0-only
// LDFLAGS: -Wl,--wrap=ioctl -Wl,--wrap=pread -Wl,--wrap=pwrite
/*
 * A passed-through device as a guest drives it: config cycles (through
 * partvm's PCI host, ECAM and CF8/CFC) at any offset and size, MMIO into
 * its BARs (the MSI-X table and PBA at odd offsets and sizes, the trapped
 * register space, the ROM), I/O port accesses, BAR moves and sizing,
 * interrupts raised by the device, reboots (detach, VM gone, bus reset,
 * new VM, attach), KVM refusing routes, vfio-pci refusing interrupts, and
 * the DMA map failing before bus mastering. The device is the fake of
 * tests/unit/vfio_fake.h in one of three layouts, created and freed for
 * each input.
 *
 * Input: a layout byte, then steps of an op byte (low nibble: what, high
 * nibble: a variant) and its operands, little-endian; see the switch in
 * LLVMFuzzerTestOneInput.
 *
 * Checked after every step: the model reads and writes only inside the
 * device's regions, never writes its BARs, IDs, capability headers, MSI
 * and MSI-X registers, the MSI-X table, the PBA or the ROM; MSI-X table
 * reads return what the guest wrote (masked entries after a reset); the
 * PBA shows nothing beyond the vectors and nothing for a vector with an
 * irqfd; KVM routes exist only for vectors of the enabled capability
 * (never more than the device has, each GSI once, the table's count
 * matching the vectors') and carry the guest's message; an irqfd only
 * for a vector the guest lets fire; INTx only while MSI and MSI-X are off;
 * the device's command register is the guest's and masters only after a
 * successful DMA map; a BAR is decoded (memory slots and traps where the
 * guest put it) exactly when the command register and its address say
 * so, and nothing else stays on the buses; constant config bytes stay,
 * BARs read back aligned to their size, the extended space reads zero,
 * the ROM reads back its image. After a reboot: decoding, MSI and MSI-X
 * are off, the table is masked, no route is left, BAR addresses are kept
 * (pci_host_reset's rule) and INTx is wired again.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "core/util/bytes.h"
#include "core/util/log.h"

/* vfio_fake.h is written for cmocka; here a failed check is a crash. */
#define assert_true(c)                                                                 \
	do {                                                                           \
		if (!(c))                                                              \
			abort();                                                       \
	} while (0)
#define assert_int_equal(a, b) assert_true((a) == (b))
#define fail_msg(...) (fprintf(stderr, __VA_ARGS__), abort())

#include "../unit/vfio_fake.h"

#define CHECK(c)                                                                       \
	do {                                                                           \
		if (!(c)) {                                                            \
			fprintf(stderr, "fuzz_vfio: %s:%d: check failed: %s\n", __FILE__,  \
				__LINE__, #c);                                         \
			abort();                                                       \
		}                                                                      \
	} while (0)

#define ROM_LEN 3000
#define ROM_BAR_SIZE 4096
#define MAX_OPS 1024
#define CMD_WMASK                                                                      \
	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_SERR |     \
	 PCI_COMMAND_PARITY | PCI_COMMAND_INTX_DISABLE)

struct layout {
	void (*setup)(void);
	unsigned msix_cap, nvec, table_bar, pba_bar;
	uint64_t table_off, pba_off;
	unsigned msi_cap, msi_max;
	bool msi64, msi_mask;
	unsigned pin;                    /* what the guest sees */
	bool rom_file;                   /* rom = FILE, else the device's */
	bool has_rom;
	unsigned ncaps;                  /* the visible capability list */
	uint8_t cap_id[8];
	uint8_t cap_off[8];
	unsigned nhidden;
	uint8_t hidden_off[4];
};

static uint8_t rom_image[ROM_BAR_SIZE];
static char rom_path[64];                /* rom = FILE: a memfd, nothing on disk */

/* A VF-like device: BAR0 16 KiB with 8 MSI-X vectors (table 0x2000, PBA
 * 0x3000), BAR2 1 MiB 64-bit prefetchable, BAR4 32 bytes of I/O, a 3000
 * byte ROM of its own; PM 0x40 -> MSI-X 0x50 -> MSI 0x60 (64-bit,
 * maskable, 4 vectors) -> PCIe 0x80 -> VPD 0xa0 (hidden) -> vendor 0xb0;
 * SR-IOV at 0x100; INTx pin A. */
static void setup_vf(void)
{
	fake_bar(0, 16384, 0, true);
	fake_bar(2, 1 << 20, PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH, true);
	fake_bar(4, 32, PCI_BASE_ADDRESS_SPACE_IO, false);
	fake.r[VFIO_PCI_ROM_REGION_INDEX] = (struct fake_region){
		.size = ROM_LEN, .flags = VFIO_REGION_INFO_FLAG_READ,
	};
	assert_int_equal(pwrite(fake.dev_fd, rom_image, ROM_LEN,
				(off_t)FAKE_OFF(VFIO_PCI_ROM_REGION_INDEX)), ROM_LEN);
	fake.irq_count[VFIO_PCI_INTX_IRQ_INDEX] = 1;
	fake.irq_count[VFIO_PCI_MSI_IRQ_INDEX] = 4;
	fake.irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = 8;
	cfg_put(PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	cfg_put(PCI_CAPABILITY_LIST, 1, 0x40);
	cfg_put(0x40, 2, 0x5000 | PCI_CAP_ID_PM);
	cfg_put(0x50, 2, 0x6000 | PCI_CAP_ID_MSIX);
	cfg_put(0x52, 2, 7);
	cfg_put(0x54, 4, 0x2000);
	cfg_put(0x58, 4, 0x3000);
	cfg_put(0x60, 2, 0x8000 | PCI_CAP_ID_MSI);
	cfg_put(0x62, 2, PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT | (2 << 1));
	cfg_put(0x80, 2, 0xa000 | PCI_CAP_ID_EXP);
	cfg_put(0x82, 2, 0x0002 | (PCI_EXP_TYPE_ENDPOINT << 4));
	cfg_put(0x84, 4, 0x12345678);
	cfg_put(0xa0, 2, 0xb000 | PCI_CAP_ID_VPD);
	cfg_put(0xb0, 2, PCI_CAP_ID_VNDR);
	cfg_put(0x100, 4, 0x00010000 | PCI_EXT_CAP_ID_SRIOV);
	cfg_put(PCI_INTERRUPT_PIN, 1, 1);
}

/* Small and odd: BAR0 256 bytes (trapped whole), BAR1 64 bytes of I/O,
 * BAR2 a 48 KiB region (a 64 KiB BAR) with two sparse-mmap areas and 33
 * MSI-X vectors whose table (0x1000) and PBA (0x1800) share a page; MSI
 * 0x48 (32-bit, one vector, no masking) -> MSI-X 0x70 -> vendor 0x90 ->
 * PCIe 0xa0 (legacy endpoint); a pin but no INTx from vfio-pci. */
static void setup_small(void)
{
	fake_bar(0, 256, 0, true);
	fake_bar(1, 64, PCI_BASE_ADDRESS_SPACE_IO, false);
	fake_bar(2, 0xc000, PCI_BASE_ADDRESS_MEM_TYPE_64, true);
	fake.r[2].nareas = 2;
	fake.r[2].areas[0] = (struct vfio_region_sparse_mmap_area){ .offset = 0, .size = 0x2000 };
	fake.r[2].areas[1] = (struct vfio_region_sparse_mmap_area){ .offset = 0x2000, .size = 0xa000 };
	fake.irq_count[VFIO_PCI_MSI_IRQ_INDEX] = 1;
	fake.irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = 33;
	cfg_put(PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	cfg_put(PCI_CAPABILITY_LIST, 1, 0x48);
	cfg_put(0x48, 2, 0x7000 | PCI_CAP_ID_MSI);
	cfg_put(0x4a, 2, 0);
	cfg_put(0x70, 2, 0x9000 | PCI_CAP_ID_MSIX);
	cfg_put(0x72, 2, 32);
	cfg_put(0x74, 4, 0x1000 | 2);
	cfg_put(0x78, 4, 0x1800 | 2);
	cfg_put(0x90, 2, 0xa000 | PCI_CAP_ID_VNDR);
	cfg_put(0xa0, 2, 0x0000 | PCI_CAP_ID_EXP);
	cfg_put(0xa2, 2, 0x0002 | (PCI_EXP_TYPE_LEG_END << 4));
	cfg_put(PCI_INTERRUPT_PIN, 1, 1);
}

/* Table and PBA apart: 2 MSI-X vectors, the table at BAR0 (4 KiB) offset
 * 0, the PBA at the end of BAR1 (8 KiB, not mmap-able); BAR2 2 MiB 64-bit
 * with a trapped hole between two areas; BAR4 4 bytes of I/O; ROM from a
 * file; PM 0x40 -> MSI 0x50 (64-bit, maskable, 32 vectors) -> MSI-X 0x68
 * -> PCI-X 0x78 (hidden) -> PCIe 0x80; AER and SR-IOV in the extended
 * space; INTx pin D. */
static void setup_split(void)
{
	fake_bar(0, 4096, 0, true);
	fake_bar(1, 8192, 0, false);
	fake_bar(2, 2 << 20, PCI_BASE_ADDRESS_MEM_TYPE_64, true);
	fake.r[2].nareas = 2;
	fake.r[2].areas[0] = (struct vfio_region_sparse_mmap_area){ .offset = 0, .size = 0x100000 };
	fake.r[2].areas[1] = (struct vfio_region_sparse_mmap_area){ .offset = 0x180000, .size = 0x80000 };
	fake_bar(4, 4, PCI_BASE_ADDRESS_SPACE_IO, false);
	fake.irq_count[VFIO_PCI_INTX_IRQ_INDEX] = 1;
	fake.irq_count[VFIO_PCI_MSI_IRQ_INDEX] = 32;
	fake.irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = 2;
	cfg_put(PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	cfg_put(PCI_CAPABILITY_LIST, 1, 0x40);
	cfg_put(0x40, 2, 0x5000 | PCI_CAP_ID_PM);
	cfg_put(0x50, 2, 0x6800 | PCI_CAP_ID_MSI);
	cfg_put(0x52, 2, PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT | (5 << 1));
	cfg_put(0x68, 2, 0x7800 | PCI_CAP_ID_MSIX);
	cfg_put(0x6a, 2, 1);
	cfg_put(0x6c, 4, 0x0000 | 0);
	cfg_put(0x70, 4, 0x1ff8 | 1);
	cfg_put(0x78, 2, 0x8000 | PCI_CAP_ID_PCIX);
	cfg_put(0x80, 2, 0x0000 | PCI_CAP_ID_EXP);
	cfg_put(0x82, 2, 0x0002 | (PCI_EXP_TYPE_ENDPOINT << 4));
	cfg_put(0x100, 4, 0x14010000 | PCI_EXT_CAP_ID_ERR);
	cfg_put(0x140, 4, 0x00010000 | PCI_EXT_CAP_ID_SRIOV);
	cfg_put(PCI_INTERRUPT_PIN, 1, 4);
}

static const struct layout layouts[] = {
	{
		.setup = setup_vf, .msix_cap = 0x50, .nvec = 8, .table_bar = 0, .pba_bar = 0,
		.table_off = 0x2000, .pba_off = 0x3000, .msi_cap = 0x60, .msi_max = 4,
		.msi64 = true, .msi_mask = true, .pin = 1, .has_rom = true,
		.ncaps = 5,
		.cap_id = { PCI_CAP_ID_PM, PCI_CAP_ID_MSIX, PCI_CAP_ID_MSI, PCI_CAP_ID_EXP,
			    PCI_CAP_ID_VNDR },
		.cap_off = { 0x40, 0x50, 0x60, 0x80, 0xb0 },
		.nhidden = 1, .hidden_off = { 0xa0 },
	},
	{
		.setup = setup_small, .msix_cap = 0x70, .nvec = 33, .table_bar = 2, .pba_bar = 2,
		.table_off = 0x1000, .pba_off = 0x1800, .msi_cap = 0x48, .msi_max = 1,
		.pin = 0, .ncaps = 4,
		.cap_id = { PCI_CAP_ID_MSI, PCI_CAP_ID_MSIX, PCI_CAP_ID_VNDR, PCI_CAP_ID_EXP },
		.cap_off = { 0x48, 0x70, 0x90, 0xa0 },
	},
	{
		.setup = setup_split, .msix_cap = 0x68, .nvec = 2, .table_bar = 0, .pba_bar = 1,
		.table_off = 0, .pba_off = 0x1ff8, .msi_cap = 0x50, .msi_max = 32,
		.msi64 = true, .msi_mask = true, .pin = 4, .has_rom = true, .rom_file = true,
		.ncaps = 4,
		.cap_id = { PCI_CAP_ID_PM, PCI_CAP_ID_MSI, PCI_CAP_ID_MSIX, PCI_CAP_ID_EXP },
		.cap_off = { 0x40, 0x50, 0x68, 0x80 },
		.nhidden = 1, .hidden_off = { 0x78 },
	},
};

/* What the harness knows independently of the model. */
static struct {
	struct vfio_pci *p;
	const struct layout *l;
	uint8_t shadow[64 * MSIX_ENTRY_SIZE];     /* the guest's MSI-X table */
	uint8_t const_mask[PCI_CONFIG_SIZE];      /* bits of config space that never change */
	uint8_t const_val[PCI_CONFIG_SIZE];
	uint8_t no_write[PCI_CONFIG_SIZE];        /* bytes the device must never be written */
	uint64_t bar_size[PCI_ROM_BAR + 1];
	int dma_result, last_dma;
	bool route_failed;                        /* KVM refused a commit this boot */
	bool irqs_fail, irqs_failed;              /* vfio-pci refuses SET_IRQS (now, this boot) */
	bool in_model;                            /* device I/O is the model's */
} h;

/* ---- The device's regions: what the model may touch ---------------------- */

ssize_t __real_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __real_pwrite(int fd, const void *buf, size_t n, off_t off);

static bool overlaps(uint64_t off, uint64_t len, uint64_t start, uint64_t n)
{
	return off < start + n && start < off + len;
}

static void check_device_io(off_t off, size_t n, bool write)
{
	const struct layout *l = h.l;
	uint64_t index = (uint64_t)off >> 40, o = (uint64_t)off & (FAKE_OFF(1) - 1);

	CHECK(off >= 0 && index < VFIO_PCI_NUM_REGIONS);
	CHECK(n > 0 && o <= fake.r[index].size && n <= fake.r[index].size - o);
	/* The device's MSI-X table is vfio-pci's (host vectors): the guest's
	 * table is emulated, neither read from nor written to it. */
	if (l && index == l->table_bar)
		CHECK(!overlaps(o, n, l->table_off, (uint64_t)l->nvec * MSIX_ENTRY_SIZE));
	if (!write)
		return;
	CHECK(index != VFIO_PCI_ROM_REGION_INDEX);
	if (l && index == l->pba_bar)
		CHECK(!overlaps(o, n, l->pba_off, msix_pba_size(l->nvec)));
	if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		for (size_t i = 0; i < n; i++)
			CHECK(!h.no_write[o + i]);
}

ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off)
{
	if (h.in_model && fd == fake.model_fd)
		check_device_io(off, n, false);
	return __real_pread(fd, buf, n, off);
}

ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	if (h.in_model && fd == fake.model_fd)
		check_device_io(off, n, true);
	return __real_pwrite(fd, buf, n, off);
}

/* ---- Input --------------------------------------------------------------- */

struct input {
	const uint8_t *d;
	size_t n, i;
};

static uint8_t u8(struct input *in)
{
	return in->i < in->n ? in->d[in->i++] : 0;
}

static uint16_t u16(struct input *in)
{
	return (uint16_t)(u8(in) | u8(in) << 8);
}

static uint32_t u32(struct input *in)
{
	return u16(in) | (uint32_t)u16(in) << 16;
}

static uint64_t u64(struct input *in)
{
	return u32(in) | (uint64_t)u32(in) << 32;
}

/* ---- Guest accesses ------------------------------------------------------ */

static uint16_t guest_cmd(void)
{
	return (uint16_t)le_get(&h.p->pci.cfg[PCI_COMMAND], 2);
}

static int dma_ready(void *opaque)
{
	h.last_dma = h.dma_result;
	return h.dma_result;
}

static bool bar_is_io(unsigned i)
{
	return h.p->pci.bars[i].type == PCI_BAR_IO;
}

/* A value the guest read at OFF (a valid config cycle of SIZE bytes). */
static void check_cfg_value(unsigned off, unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = (uint8_t)(v >> (8 * i)), m = h.const_mask[off + i];

		CHECK((b & m) == (h.const_val[off + i] & m));
	}
	/* A BAR reads back as an address aligned to its size (sizing). */
	if (size == 4 && off >= PCI_BASE_ADDRESS_0 && off <= PCI_BASE_ADDRESS_5) {
		unsigned i = (off - PCI_BASE_ADDRESS_0) / 4;
		uint64_t s = h.bar_size[i];

		if (s && s < (1ULL << 32))
			CHECK((v & (uint32_t)(s - 1) & (bar_is_io(i) ? ~3u : ~0xfu)) == 0);
	}
	if (size == 4 && off == PCI_ROM_ADDRESS && h.bar_size[PCI_ROM_BAR])
		CHECK((v & (uint32_t)(h.bar_size[PCI_ROM_BAR] - 1) & ~1u) == 0);
}

/* A config cycle by PATH: 0 the host's entry point, 1 ECAM, 2 CF8/CFC. */
static uint32_t cfg_access(unsigned path, unsigned off, unsigned size, bool write, uint32_t value)
{
	unsigned slot = h.p->pci.slot;
	uint64_t v = ~0ULL;
	bool valid = (size == 1 || size == 2 || size == 4) && off % size == 0 && off < PCI_CONFIG_SIZE;

	switch (path) {
	case 0:
		if (write)
			guest_cfg_write(h.p, off, size, value);
		else
			v = guest_cfg_read(h.p, off, size);
		break;
	case 1: {
		uint64_t a = LAYOUT_ECAM_START + ((uint64_t)slot << 15) + (off & 0xfff);

		if (write)
			CHECK(bus_write(&vm.mmio, a, size, value));
		else
			CHECK(bus_read(&vm.mmio, a, size, &v));
		valid = valid && size <= 4;
		break;
	}
	default:
		/* CF8 reaches the first 256 bytes; port offset = register & 3. */
		CHECK(bus_write(&vm.pio, PORT_PCI_CONFIG, 4, 0x80000000u | slot << 11 | (off & 0xfc)));
		if (write)
			(void)bus_write(&vm.pio, PORT_PCI_CONFIG + 4 + (off & 3), size, value);
		else if (!bus_read(&vm.pio, PORT_PCI_CONFIG + 4 + (off & 3), size, &v))
			valid = false;
		valid = valid && off < 256 && (off & 3) + size <= 4;
		break;
	}
	if (!write && valid)
		check_cfg_value(off, size, (uint32_t)v);
	return (uint32_t)v;
}

static uint64_t table_gpa(bool *mapped)
{
	const struct pci_bar *b = &h.p->pci.bars[h.l->table_bar];

	*mapped = b->mapped;
	return b->mapped_addr + h.l->table_off;
}

static uint64_t pba_gpa(bool *mapped)
{
	const struct pci_bar *b = &h.p->pci.bars[h.l->pba_bar];

	*mapped = b->mapped;
	return b->mapped_addr + h.l->pba_off;
}

static bool inside(uint64_t a, unsigned size, uint64_t base, uint64_t len)
{
	return a >= base && a - base <= len && size <= len - (a - base);
}

static void mmio_read(uint64_t a, unsigned size)
{
	const struct layout *l = h.l;
	uint64_t v = 0x5a5a5a5a5a5a5a5aULL, base;
	bool mapped;

	if (!bus_read(&vm.mmio, a, size, &v))
		return;
	base = table_gpa(&mapped);
	if (mapped && inside(a, size, base, (uint64_t)l->nvec * MSIX_ENTRY_SIZE))
		CHECK(!memcmp(&v, &h.shadow[a - base], size));
	base = pba_gpa(&mapped);
	if (mapped && inside(a, size, base, msix_pba_size(l->nvec)))
		for (unsigned b = 0; b < 8 * size; b++) {
			uint64_t vec = 8 * (a - base) + b;

			if (!(v >> b & 1))
				continue;
			CHECK(vec < l->nvec);
			CHECK(!h.p->msix.vec[vec].irqfd);
		}
	if (h.p->rom.mapped && inside(a, size, h.p->rom.gpa, ROM_BAR_SIZE))
		CHECK(!memcmp(&v, &rom_image[a - h.p->rom.gpa], size));
}

static void mmio_write(uint64_t a, unsigned size, uint64_t v)
{
	uint64_t base;
	bool mapped;

	if (!bus_write(&vm.mmio, a, size, v))
		return;
	base = table_gpa(&mapped);
	if (mapped && inside(a, size, base, (uint64_t)h.l->nvec * MSIX_ENTRY_SIZE))
		memcpy(&h.shadow[a - base], &v, size);
}

static void shadow_reset(void)
{
	memset(h.shadow, 0, sizeof(h.shadow));
	for (unsigned i = 0; i < h.l->nvec; i++)
		h.shadow[16 * i + PCI_MSIX_ENTRY_VECTOR_CTRL] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
}

/* ---- Invariants ---------------------------------------------------------- */

static uint32_t shadow32(unsigned vec, unsigned off)
{
	return (uint32_t)le_get(&h.shadow[16 * vec + off], 4);
}

static void check_vectors(void)
{
	const struct layout *l = h.l;
	struct vfio_pci *p = h.p;
	const uint8_t *msi = &p->pci.cfg[l->msi_cap], *msix = &p->pci.cfg[l->msix_cap];
	uint16_t msi_flags = (uint16_t)le_get(&msi[PCI_MSI_FLAGS], 2);
	uint16_t msix_flags = (uint16_t)le_get(&msix[PCI_MSIX_FLAGS], 2);
	uint32_t mask = l->msi_mask ? le_get(&msi[l->msi64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32], 4) : 0;
	uint64_t used[2] = { 0, 0 };
	unsigned msi_routes = 0, msix_routes = 0, committed = 0, limit = l->nvec + l->msi_max;

	CHECK(l->nvec + l->msi_max <= 128);
	CHECK(!(p->msi.enabled && p->msix.table.enabled));
	CHECK(p->msi.count <= l->msi_max && p->msix.hw_count <= l->nvec);
	for (unsigned i = 0; i < 32; i++) {
		const struct msi_vector *v = &p->msi.vec[i];

		if (i >= l->msi_max) {
			CHECK(!v->gsi && !v->irqfd);
			continue;
		}
		if (v->gsi) {
			unsigned g = v->gsi - KVM_FIRST_MSI_GSI;

			CHECK(v->gsi >= KVM_FIRST_MSI_GSI && g < limit);
			CHECK(!(used[g / 64] >> (g % 64) & 1));
			used[g / 64] |= 1ULL << (g % 64);
			CHECK(p->msi.enabled && i < p->msi.count);
			msi_routes++;
		}
		if (!v->irqfd)
			continue;
		CHECK(v->gsi && p->msi.enabled && i < p->msi.count);
		CHECK((msi_flags & PCI_MSI_FLAGS_ENABLE) && !(mask >> i & 1));
		if (!h.route_failed) {
			const struct kvm_irq_routing_entry *rt = route_of(v->gsi);
			uint32_t data = le_get(&msi[l->msi64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32], 2);
			uint64_t addr = le_get(&msi[PCI_MSI_ADDRESS_LO], 4);

			if (l->msi64)
				addr |= (uint64_t)le_get(&msi[PCI_MSI_ADDRESS_HI], 4) << 32;
			CHECK(rt);
			CHECK(rt->u.msi.address_lo == (uint32_t)addr &&
			      rt->u.msi.address_hi == (uint32_t)(addr >> 32));
			CHECK(rt->u.msi.data == ((data & ~(p->msi.count - 1)) | i));
		}
	}
	for (unsigned i = 0; i < l->nvec; i++) {
		const struct msi_vector *v = &p->msix.vec[i];

		if (v->gsi) {
			unsigned g = v->gsi - KVM_FIRST_MSI_GSI;

			CHECK(v->gsi >= KVM_FIRST_MSI_GSI && g < limit);
			CHECK(!(used[g / 64] >> (g % 64) & 1));
			used[g / 64] |= 1ULL << (g % 64);
			CHECK(p->msix.table.enabled);
			msix_routes++;
		}
		if (!v->irqfd)
			continue;
		/* Live: MSI-X on, no function mask, the entry unmasked, and a
		 * vector the device has enabled. */
		CHECK(v->gsi && p->msix.table.enabled);
		CHECK(i < p->msix.hw_count || h.irqs_failed);
		CHECK((msix_flags & PCI_MSIX_FLAGS_ENABLE) && !(msix_flags & PCI_MSIX_FLAGS_MASKALL));
		CHECK(!(shadow32(i, PCI_MSIX_ENTRY_VECTOR_CTRL) & PCI_MSIX_ENTRY_CTRL_MASKBIT));
		if (!h.route_failed) {
			const struct kvm_irq_routing_entry *rt = route_of(v->gsi);

			CHECK(rt);
			CHECK(rt->u.msi.address_lo == shadow32(i, PCI_MSIX_ENTRY_LOWER_ADDR));
			CHECK(rt->u.msi.address_hi == shadow32(i, PCI_MSIX_ENTRY_UPPER_ADDR));
			CHECK(rt->u.msi.data == shadow32(i, PCI_MSIX_ENTRY_DATA));
		}
	}
	/* One capability's routes at a time, each in the table once. */
	CHECK(!(msi_routes && msix_routes));
	CHECK(kvm_msi_route_count(&vm.kvm) == msi_routes + msix_routes);
	for (unsigned i = 0; i < fake.nroutes; i++)
		committed += fake.routes[i].type == KVM_IRQ_ROUTING_MSI;
	CHECK(committed <= limit);

	/* INTx is the device's interrupt exactly while MSI and MSI-X are off. */
	CHECK(p->intx.pin == l->pin);
	if (p->intx.on)
		CHECK(!p->msi.enabled && !p->msix.table.enabled);
	if (l->pin && !p->msi.enabled && !p->msix.table.enabled && !h.irqs_failed)
		CHECK(p->intx.on);
}

static void check_decoding(void)
{
	struct vfio_pci *p = h.p;
	uint16_t cmd = guest_cmd();
	unsigned mmio = 1, pio = 1;           /* ECAM, CF8 */
	uint32_t dev_cmd = cfg_get(PCI_COMMAND, 2);

	/* The command register reaches the device as the guest wrote it,
	 * bus mastering only once guest RAM is mapped for DMA. */
	CHECK((dev_cmd & CMD_WMASK) == (cmd & CMD_WMASK));
	if (dev_cmd & PCI_COMMAND_MASTER)
		CHECK(h.last_dma == 0);

	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar *pb = &p->pci.bars[i];
		const struct vfio_bar *b = &p->bars[i];
		bool io = b->type == PCI_BAR_IO;

		if (b->type == PCI_BAR_NONE)
			continue;
		if (pb->mapped)
			CHECK(cmd & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY));
		for (unsigned t = 0; t < b->ntraps; t++) {
			const struct vfio_trap *tr = &b->traps[t];

			CHECK(tr->registered == pb->mapped);
			if (pb->mapped)
				CHECK(tr->gpa == pb->mapped_addr + tr->off);
			if (tr->registered)
				*(io ? &pio : &mmio) += 1;
		}
		for (unsigned j = 0; j < b->npieces; j++) {
			const struct vfio_piece *pc = &b->pieces[j];
			const struct kvm_userspace_memory_region *s;

			CHECK(pc->slot >= 0 && pc->slot < FAKE_MAX_SLOTS);
			s = &fake.slots[pc->slot];
			CHECK(pc->mapped == pb->mapped);
			if (pc->mapped)
				CHECK(s->guest_phys_addr == pb->mapped_addr + pc->off &&
				      s->memory_size == pc->len &&
				      s->userspace_addr == (uintptr_t)pc->host);
			else
				CHECK(s->memory_size == 0);
		}
	}
	if (p->pci.bars[PCI_ROM_BAR].type != PCI_BAR_NONE) {
		const struct pci_bar *pb = &p->pci.bars[PCI_ROM_BAR];

		CHECK(pb->mapped == p->rom.mapped);
		if (pb->mapped) {
			CHECK(p->rom.gpa == pb->mapped_addr);
			CHECK((cmd & PCI_COMMAND_MEMORY) &&
			      (le_get(&p->pci.cfg[PCI_ROM_ADDRESS], 4) & PCI_ROM_ADDRESS_ENABLE));
			mmio++;
		}
	}
	/* Nothing else of the device stays on the buses. */
	CHECK(vm.mmio.nranges == mmio);
	CHECK(vm.pio.nranges == pio);
}

static void check_state(void)
{
	check_vectors();
	check_decoding();
}

/* ---- What the guest can do ----------------------------------------------- */

static uint64_t bar_addr(unsigned i)
{
	return h.p->pci.bars[i].addr;
}

/* Reboot as partvm's run loop does it: the devices detach, the VM fd
 * goes, the bus resets, a new VM (no memory slots, the default routes,
 * KVM accepting them), and the devices attach again. */
static void reboot(void)
{
	struct vfio_pci *p = h.p;
	const struct layout *l = h.l;
	uint8_t bars[PCI_ROM_ADDRESS + 4 - PCI_BASE_ADDRESS_0];
	unsigned resets = fake.resets;
	int err = fake.routing_error;

	memcpy(bars, &p->pci.cfg[PCI_BASE_ADDRESS_0], sizeof(bars));
	vfio_pci_detach(p);
	vm.kvm.vm_fd = -1;
	pci_host_reset(&vm);
	CHECK(fake.resets == resets + 1);
	/* Nothing decoded, nothing routed, the interrupt registers at their
	 * reset values; the guest's BAR addresses stay (pci_host_reset). */
	CHECK(guest_cmd() == 0 && cfg_get(PCI_COMMAND, 2) == 0);
	CHECK(!memcmp(bars, &p->pci.cfg[PCI_BASE_ADDRESS_0], sizeof(bars)));
	for (unsigned i = 0; i <= PCI_ROM_BAR; i++)
		CHECK(!p->pci.bars[i].mapped);
	CHECK(!p->rom.mapped && vm.mmio.nranges == 1 && vm.pio.nranges == 1);
	CHECK(!p->msi.enabled && !p->msix.table.enabled && !p->msix.table.masked && !p->intx.on);
	CHECK(kvm_msi_route_count(&vm.kvm) == 0);
	CHECK(le_get(&p->pci.cfg[l->msix_cap + PCI_MSIX_FLAGS], 2) == l->nvec - 1);
	CHECK(!(le_get(&p->pci.cfg[l->msi_cap + PCI_MSI_FLAGS], 2) &
		(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE)));
	for (unsigned o = PCI_MSI_ADDRESS_LO; o < PCI_MSI_ADDRESS_LO + 12; o++)
		CHECK(p->pci.cfg[l->msi_cap + o] == 0 || !p->emu[l->msi_cap + o]);
	shadow_reset();
	for (unsigned o = 0; o < l->nvec * MSIX_ENTRY_SIZE; o += 4)
		CHECK(vfio_msix_table_read(p, o, 4) == le_get(&h.shadow[o], 4));

	vm.kvm.vm_fd = fake.vm_fd;
	vm.kvm.next_memslot = 0;
	memset(fake.slots, 0, sizeof(fake.slots));
	fake.routing_error = 0;
	CHECK(kvm_routing_reset(&vm.kvm) == 0);
	fake.routing_error = err;
	h.route_failed = err != 0;
	/* A failed attach fails the boot: vfio-pci takes the INTx eventfds. */
	fake.nirqs = 0;
	CHECK(vfio_pci_attach(p) == 0);
	h.irqs_failed = h.irqs_fail;
	CHECK(p->intx.on == (l->pin != 0));
}

/* An address for BAR I to move to: its own, a neighbour's, over ECAM,
 * over RAM, the sizing pattern, the top of the hole, or the input's. */
static uint64_t move_target(unsigned i, uint8_t pick, struct input *in)
{
	uint64_t s = h.bar_size[i];

	switch (pick % 10) {
	case 0: return bar_addr(i);
	case 1: return bar_addr(i) + s;
	case 2: return bar_addr((i + 1) % PCI_NUM_BARS);
	case 3: return bar_addr(h.l->table_bar);
	case 4: return LAYOUT_ECAM_START;
	case 5: return 0x100000;
	case 6: return 0xffffffff;
	case 7: return LAYOUT_PCI_HOLE_END - s;
	case 8: return vm.mem.layout.mmio64_base + s * (pick >> 4);
	default: return u64(in);
	}
}

static void op_bar(struct input *in, unsigned arg)
{
	unsigned i = u8(in) % (PCI_ROM_BAR + 1), off;
	struct vfio_pci *p = h.p;
	enum pci_bar_type type = p->pci.bars[i].type;
	uint64_t a;

	if (type == PCI_BAR_NONE)
		return;
	off = i == PCI_ROM_BAR ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4 * i;
	if (arg & 1) {
		/* Sizing, as Linux does it, with decoding on or off. */
		uint32_t lo = cfg_access(0, off, 4, false, 0), hi = 0;

		cfg_access(0, off, 4, true, 0xffffffff);
		if (type == PCI_BAR_MEM64) {
			hi = cfg_access(0, off + 4, 4, false, 0);
			cfg_access(0, off + 4, 4, true, 0xffffffff);
			cfg_access(0, off + 4, 4, false, 0);
		}
		cfg_access(0, off, 4, false, 0);
		cfg_access(0, off, 4, true, lo);
		if (type == PCI_BAR_MEM64)
			cfg_access(0, off + 4, 4, true, hi);
		return;
	}
	a = move_target(i, u8(in), in);
	if (type == PCI_BAR_ROM)
		a = (a & PCI_ROM_ADDRESS_MASK) | (arg >> 1 & 1);
	cfg_access(0, off, 4, true, (uint32_t)a);
	if (type == PCI_BAR_MEM64)
		cfg_access(0, off + 4, 4, true, (uint32_t)(a >> 32));
}

/* The registers a driver writes, with values it would write. */
static void op_irq_regs(struct input *in, unsigned arg)
{
	const struct layout *l = h.l;
	uint8_t v = u8(in);

	switch (arg % 7) {
	case 0:         /* MSI-X enable / function mask, high byte of the control */
		cfg_access(0, l->msix_cap + PCI_MSIX_FLAGS + 1, 1, true, v & 0xc0);
		break;
	case 1:
		cfg_access(0, l->msix_cap + PCI_MSIX_FLAGS, 2, true, (uint32_t)(v & 0xc0) << 8);
		break;
	case 2:         /* MSI enable with 2^(v>>4) messages */
		cfg_access(0, l->msi_cap + PCI_MSI_FLAGS, 2, true,
			   (v & 1) | (uint32_t)(v >> 1 & 7) << 4);
		break;
	case 3:         /* MSI mask */
		cfg_access(0, l->msi_cap + (l->msi64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32), 4, true,
			   v & 0x80 ? u32(in) : v & 0xf);
		break;
	case 4:         /* MSI message */
		cfg_access(0, l->msi_cap + PCI_MSI_ADDRESS_LO, 4, true, 0xfee00000u | (uint32_t)v << 12);
		cfg_access(0, l->msi_cap + (l->msi64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32), 2, true,
			   u16(in));
		break;
	case 5:         /* command register */
		cfg_access(0, PCI_COMMAND, 2, true,
			   (v & 1 ? PCI_COMMAND_IO : 0) | (v & 2 ? PCI_COMMAND_MEMORY : 0) |
			   (v & 4 ? PCI_COMMAND_MASTER : 0) | (v & 8 ? PCI_COMMAND_INTX_DISABLE : 0) |
			   (v & 0x10 ? PCI_COMMAND_SERR : 0) | (v & 0x20 ? 0xf8b0 : 0));
		break;
	default: {      /* an MSI-X entry, whole, as Linux programs it */
		unsigned e = (v & 0x7f) % (l->nvec + 1);
		bool mapped;
		uint64_t t = table_gpa(&mapped) + 16 * e;

		mmio_write(t + PCI_MSIX_ENTRY_LOWER_ADDR, 4, 0xfee00000u | (uint32_t)u8(in) << 12);
		mmio_write(t + PCI_MSIX_ENTRY_UPPER_ADDR, 4, 0);
		mmio_write(t + PCI_MSIX_ENTRY_DATA, 4, u16(in));
		mmio_write(t + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, v >> 7);
		break;
	}
	}
}

/* An MMIO address: in a BAR, the ROM, around the MSI-X table or PBA. */
static uint64_t mmio_target(struct input *in, bool *io)
{
	const struct layout *l = h.l;
	uint8_t t = u8(in);
	bool mapped;

	*io = false;
	switch (t % 9) {
	case 7:
		return table_gpa(&mapped) - 16 + u16(in) % (l->nvec * MSIX_ENTRY_SIZE + 32);
	case 8:
		return pba_gpa(&mapped) - 8 + u8(in) % (msix_pba_size(l->nvec) + 16);
	default: {
		unsigned i = t % 9 == 6 ? PCI_ROM_BAR : t % 9;
		uint64_t s = h.bar_size[i];

		if (h.p->pci.bars[i].type == PCI_BAR_NONE)
			i = i > 0 ? i - 1 : 0;
		*io = h.p->pci.bars[i].type == PCI_BAR_IO;
		return bar_addr(i) + u32(in) % (s + 16);
	}
	}
}

static void op_mmio(struct input *in, unsigned arg, bool write)
{
	unsigned size = 1 + arg % 8;
	bool io;
	uint64_t a = mmio_target(in, &io), v;

	if (io) {
		if (write)
			(void)bus_write(&vm.pio, a, size, u32(in));
		else
			(void)bus_read(&vm.pio, a, size, &v);
	} else if (write) {
		mmio_write(a, size, u64(in));
	} else {
		mmio_read(a, size);
	}
}

/* Config offsets worth hitting often. */
static unsigned cfg_offset(struct input *in, bool pick)
{
	const struct layout *l = h.l;
	uint8_t k;

	if (!pick)
		return u16(in) % PCI_CONFIG_SIZE;
	k = u8(in);
	switch (k % 8) {
	case 0: return PCI_COMMAND + (k >> 3) % 4;
	case 1: return PCI_BASE_ADDRESS_0 + (k >> 3) % 24;
	case 2: return PCI_ROM_ADDRESS + (k >> 3) % 4;
	case 3: return l->msi_cap + (k >> 3) % 24;
	case 4: return l->msix_cap + (k >> 3) % 12;
	case 5: return l->cap_off[(k >> 3) % l->ncaps] + (k >> 6);
	case 6: return PCI_CFG_SPACE_SIZE + (k >> 3) % 8;
	default: return PCI_CONFIG_SIZE - 4 + (k >> 3) % 4;
	}
}

static const unsigned cfg_sizes[8] = { 1, 2, 4, 4, 2, 4, 3, 8 };

/* ---- Per input ----------------------------------------------------------- */

static void init_expectations(void)
{
	const struct layout *l = h.l;
	struct vfio_pci *p = h.p;
	uint8_t view[PCI_CONFIG_SIZE];
	unsigned off, n = 0;

	/* The guest's first look: IDs, one function, its capabilities. */
	memset(view, 0, sizeof(view));
	for (unsigned o = 0; o < PCI_CFG_SPACE_SIZE; o += 4)
		le_put(&view[o], 4, guest_cfg_read(p, o, 4));
	/* The extended space: every access reads zero (check_cfg_value). */
	for (unsigned o = PCI_CFG_SPACE_SIZE; o < PCI_CONFIG_SIZE; o += 0x40)
		CHECK(guest_cfg_read(p, o, 4) == 0);
	CHECK(le_get(&view[PCI_VENDOR_ID], 4) == 0x10ca8086);
	CHECK(le_get(&view[PCI_CLASS_REVISION], 4) == 0x02000001);
	CHECK(view[PCI_HEADER_TYPE] == PCI_HEADER_TYPE_NORMAL);
	CHECK(view[PCI_INTERRUPT_PIN] == l->pin);
	for (off = view[PCI_CAPABILITY_LIST]; off && n < 8; off = view[off + PCI_CAP_LIST_NEXT], n++) {
		CHECK(n < l->ncaps && off == l->cap_off[n] && view[off] == l->cap_id[n]);
	}
	CHECK(!off && n == l->ncaps);
	CHECK((le_get(&view[l->msix_cap + PCI_MSIX_FLAGS], 2) & PCI_MSIX_FLAGS_QSIZE) == l->nvec - 1);
	CHECK(1u << ((le_get(&view[l->msi_cap + PCI_MSI_FLAGS], 2) & PCI_MSI_FLAGS_QMASK) >> 1) ==
	      l->msi_max);

	memset(h.const_mask, 0, sizeof(h.const_mask));
	memset(h.const_mask + PCI_VENDOR_ID, 0xff, 4);
	memset(h.const_mask + PCI_CLASS_REVISION, 0xff, 4);
	h.const_mask[PCI_HEADER_TYPE] = 0xff;
	memset(h.const_mask + PCI_SUBSYSTEM_VENDOR_ID, 0xff, 4);
	h.const_mask[PCI_CAPABILITY_LIST] = 0xff;
	h.const_mask[PCI_INTERRUPT_PIN] = 0xff;
	for (unsigned c = 0; c < l->ncaps; c++)
		h.const_mask[l->cap_off[c]] = h.const_mask[l->cap_off[c] + 1] = 0xff;
	/* MSI-X: table size, BIRs and offsets; MSI: 64-bit, per-vector
	 * masking, the messages it can do. */
	h.const_mask[l->msix_cap + PCI_MSIX_FLAGS] = 0xff;
	h.const_mask[l->msix_cap + PCI_MSIX_FLAGS + 1] = 0x07;
	memset(h.const_mask + l->msix_cap + PCI_MSIX_TABLE, 0xff, 8);
	h.const_mask[l->msi_cap + PCI_MSI_FLAGS] = PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_QMASK;
	h.const_mask[l->msi_cap + PCI_MSI_FLAGS + 1] = PCI_MSI_FLAGS_MASKBIT >> 8;
	/* BAR type bits; unimplemented BARs read zero. */
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		unsigned o = PCI_BASE_ADDRESS_0 + 4 * i;

		if (p->pci.bars[i].type == PCI_BAR_NONE && (i == 0 || p->pci.bars[i - 1].type != PCI_BAR_MEM64))
			memset(h.const_mask + o, 0xff, 4);
		else if (p->pci.bars[i].type != PCI_BAR_NONE)
			h.const_mask[o] = p->pci.bars[i].type == PCI_BAR_IO ? 0x03 : 0x0f;
	}
	if (p->pci.bars[PCI_ROM_BAR].type == PCI_BAR_NONE)
		memset(h.const_mask + PCI_ROM_ADDRESS, 0xff, 4);
	else
		h.const_mask[PCI_ROM_ADDRESS] = 0xfe, h.const_mask[PCI_ROM_ADDRESS + 1] = 0x07;
	memset(h.const_mask + PCI_CFG_SPACE_SIZE, 0xff, PCI_CONFIG_SIZE - PCI_CFG_SPACE_SIZE);
	memcpy(h.const_val, view, sizeof(view));

	/* Never written on the device: the header but command and status,
	 * every capability's ID and next pointer, MSI and MSI-X, the PCIe
	 * flags, the extended space. */
	memset(h.no_write, 0, sizeof(h.no_write));
	memset(h.no_write, 1, PCI_STD_HEADER_SIZEOF);
	memset(h.no_write + PCI_COMMAND, 0, 4);
	for (unsigned c = 0; c < l->ncaps; c++)
		h.no_write[l->cap_off[c]] = h.no_write[l->cap_off[c] + 1] = 1;
	for (unsigned c = 0; c < l->nhidden; c++)
		h.no_write[l->hidden_off[c]] = h.no_write[l->hidden_off[c] + 1] = 1;
	memset(h.no_write + l->msix_cap, 1, PCI_CAP_MSIX_SIZEOF);
	memset(h.no_write + l->msi_cap, 1,
	       l->msi_mask ? (l->msi64 ? PCI_MSI_PENDING_64 : PCI_MSI_PENDING_32) + 4 :
			     (l->msi64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32) + 2);
	memset(h.no_write + PCI_CFG_SPACE_SIZE, 1, PCI_CONFIG_SIZE - PCI_CFG_SPACE_SIZE);
	for (unsigned c = 0; c < l->ncaps; c++)
		if (l->cap_id[c] == PCI_CAP_ID_EXP)
			h.no_write[l->cap_off[c] + PCI_EXP_FLAGS] =
				h.no_write[l->cap_off[c] + PCI_EXP_FLAGS + 1] = 1;

	for (unsigned i = 0; i <= PCI_ROM_BAR; i++)
		h.bar_size[i] = p->pci.bars[i].size;
	CHECK(!l->has_rom || h.bar_size[PCI_ROM_BAR] == ROM_BAR_SIZE);
	shadow_reset();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd = memfd_create("fuzz-vfio-rom", 0);

	/* The model's rate-limited warnings are the guest's doing. */
	log_set_max_level(LOG_CRIT);
	/* An image the ROM check takes: one naming the fake device. */
	make_rom_image(rom_image, ROM_LEN, 0x8086, 0x10ca, 3, 0);
	if (fd < 0 || __real_pwrite(fd, rom_image, ROM_LEN, 0) != ROM_LEN)
		abort();
	snprintf(rom_path, sizeof(rom_path), "/proc/self/fd/%d", fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size, 0 };
	const struct layout *l = &layouts[u8(&in) % (sizeof(layouts) / sizeof(layouts[0]))];
	unsigned nops = 0;

	memset(&h, 0, sizeof(h));
	fake_init();
	vm.event_fd = -1;       /* a reset through CF9 signals nothing */
	l->setup();
	h.l = l;
	h.in_model = true;
	h.p = fake_create(l->rom_file ? rom_path : NULL);
	h.p->dma_ready = dma_ready;
	init_expectations();
	CHECK(vfio_pci_attach(h.p) == 0);
	check_state();

	while (in.i < in.n && nops++ < MAX_OPS) {
		uint8_t op = u8(&in);
		unsigned arg = op >> 4;

		/* The fake's logs are bounded; what is live is in the model.
		 * A full log is vfio-pci refusing SET_IRQS. */
		fake.nirqs = h.irqs_fail ? FAKE_LOG : 0;
		fake.nirqfds = 0;
		switch (op & 0xf) {
		case 0: case 1: {
			unsigned off = cfg_offset(&in, arg & 1), sz = cfg_sizes[arg >> 1];
			uint8_t path = u8(&in);

			cfg_access(path % 3 == 2 ? 1 + (path >> 7) : 0, off, sz, false, 0);
			break;
		}
		case 2: case 3: {
			unsigned off = cfg_offset(&in, arg & 1), sz = cfg_sizes[arg >> 1];
			uint8_t path = u8(&in);

			cfg_access(path % 3 == 2 ? 1 + (path >> 7) : 0, off, sz, true, u32(&in));
			break;
		}
		case 4: case 5:
			op_mmio(&in, arg, false);
			break;
		case 6: case 7:
			op_mmio(&in, arg, true);
			break;
		case 8: case 9:
			op_irq_regs(&in, arg);
			break;
		case 10:
			op_bar(&in, arg);
			break;
		case 11: {      /* the device raises a vector */
			uint8_t v = u8(&in);

			if (arg & 1)
				msi_vector_fire(&h.p->msix.vec[v % l->nvec]);
			else
				msi_vector_fire(&h.p->msi.vec[v % l->msi_max]);
			break;
		}
		case 12:
			reboot();
			break;
		case 13: {      /* KVM refuses routing tables */
			static const int errs[4] = { 0, -ENOSPC, -EINVAL, -ENOMEM };

			fake.routing_error = errs[arg % 4];
			h.route_failed |= fake.routing_error != 0;
			break;
		}
		case 14:
			if (arg & 2) {          /* vfio-pci out of host vectors, or not */
				h.irqs_fail = arg & 1;
				h.irqs_failed |= h.irqs_fail;
			} else {                /* the DMA map failed, or is done */
				h.dma_result = arg & 1 ? -ENOMEM : 0;
			}
			break;
		default:        /* MSI pending bits, as a driver polls them */
			if (l->msi_mask) {
				uint32_t pend = cfg_access(0, l->msi_cap + (l->msi64 ? PCI_MSI_PENDING_64 :
									    PCI_MSI_PENDING_32), 4, false, 0);

				for (unsigned i = 0; i < 32; i++)
					if (pend >> i & 1)
						CHECK(i < h.p->msi.count && !h.p->msi.vec[i].irqfd);
			}
			break;
		}
		check_state();
	}

	h.in_model = false;
	fake.nirqs = fake.nirqfds = 0;
	fake_fini(h.p);
	h.p = NULL;
	return 0;
}
