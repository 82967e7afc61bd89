// SPDX-License-Identifier: GPL-2.0-only
/*
 * IVSHMEM as a guest drives it: config cycles through ECAM (any register,
 * size and function, the BARs moved and sized, decoding switched), BAR0's
 * registers at any offset and size (past either end too), the shared
 * memory through the slot KVM was given, status requests, and reboots
 * (detach, VM gone, platform reset, a new VM, attach). The device is made
 * from its registry entry for each input, on a VM without KVM whose VM fd
 * only records memory slots and refuses those over its RAM, as KVM
 * refuses a slot over another.
 *
 * The input is a sequence of 12-byte records: op (bits 0-2 what, bits 3-5
 * size - 1, bit 6 a variant), target, offset (le16), value (le64).
 *
 * Checked, against a model written from the spec and the PCI rules:
 *   - config reads of the device return its emulated space as the guest
 *     left it (write masks, RW1C bits), other functions and empty slots
 *     master-abort, misaligned or oversized cycles read all-ones;
 *   - BAR0 is on the bus exactly when memory decoding is on and its
 *     address can be decoded (not over ECAM), and nothing else appears
 *     there; its reads are the Interrupt Mask and Status bytes the guest
 *     wrote, zeros elsewhere, and accesses leaving it are not decoded;
 *   - BAR2 is in the VM's one slot, at its address and of its size,
 *     exactly when decoding is on, its address valid and off the RAM, and
 *     a VM exists; a byte the guest writes there is in the file;
 *   - the status names BAR2's address exactly when it is mapped;
 *   - after a reboot: decoding off, the registers 0, BAR addresses kept.
 */
// LDFLAGS: -Wl,--wrap=ioctl
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <syslog.h>
#include <unistd.h>

#include "core/board.h"
#include "core/devices/platform.h"
#include "core/kvm/kvm.h"
#include "core/util/bytes.h"
#include "core/util/log.h"
#include "core/vm/config.h"
#include "core/vm/device.h"
#include "core/vm/layout.h"
#include "core/vm/pci.h"
#include "core/vm/vm.h"
#include "fuzz.h"

#define RECORD 12
#define SHM_SIZE (64 * 1024ULL)
#define REGS_SIZE 256
#define FAKE_RAM (1ULL << 30)
#define NSLOTS 4
#define EMPTY_SLOT 7

#define CHECK(c)                                                                       \
	do {                                                                           \
		if (!(c)) {                                                            \
			fprintf(stderr, "fuzz_ivshmem: %s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #c);                                         \
			abort();                                                       \
		}                                                                      \
	} while (0)

static struct vm vm;
static struct vm_config cfg;
static struct device dev;
static char shm_path[128];
static int shm_fd = -1;

/* ---- The VM fd: memory slots, recorded ---- */

static int fake_vm_fd = -1;
static struct kvm_userspace_memory_region slots[NSLOTS];

int __real_ioctl(int fd, unsigned long req, ...);

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	struct kvm_userspace_memory_region *m;
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fake_vm_fd < 0 || fd != fake_vm_fd)
		return __real_ioctl(fd, req, arg);
	/* Only memory slots, only on a VM that exists. */
	CHECK(req == KVM_SET_USER_MEMORY_REGION && vm.kvm.vm_fd == fake_vm_fd);
	m = arg;
	CHECK(m->slot < NSLOTS);
	if (m->memory_size && m->guest_phys_addr < FAKE_RAM) {
		errno = EEXIST;
		return -1;
	}
	/* KVM cannot move or resize a slot in place without us asking. */
	CHECK(!m->memory_size || !slots[m->slot].memory_size);
	slots[m->slot] = *m;
	return 0;
}

/* ---- The model ---- */

struct model {
	uint8_t cfg[PCI_CONFIG_SIZE], wmask[PCI_CONFIG_SIZE], w1cmask[PCI_CONFIG_SIZE];
	uint8_t regs[8];
	bool vm_exists;
};

static struct model m;
static struct pci_device *pdev;

static uint64_t model_bar0(void)
{
	return le_get(&m.cfg[PCI_BASE_ADDRESS_0], 4) & PCI_BASE_ADDRESS_MEM_MASK;
}

static uint64_t model_bar2(void)
{
	return (le_get(&m.cfg[PCI_BASE_ADDRESS_2], 4) & PCI_BASE_ADDRESS_MEM_MASK) |
	       le_get(&m.cfg[PCI_BASE_ADDRESS_3], 4) << 32;
}

static bool memory_on(void)
{
	return le_get(&m.cfg[PCI_COMMAND], 2) & PCI_COMMAND_MEMORY;
}

static bool overlaps(uint64_t a, uint64_t len, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + len;
}

static bool bar0_decoded(void)
{
	uint64_t a = model_bar0();

	return memory_on() && a != 0 && a < LAYOUT_PCI_HOLE_END &&
	       REGS_SIZE < LAYOUT_PCI_HOLE_END - a &&
	       !overlaps(a, REGS_SIZE, LAYOUT_ECAM_START, LAYOUT_ECAM_SIZE);
}

static bool bar2_mapped(void)
{
	uint64_t a = model_bar2();

	return m.vm_exists && memory_on() && a != 0 && a < (1ULL << 52) &&
	       SHM_SIZE < (1ULL << 52) - a && a >= FAKE_RAM;
}

static uint32_t config_expect_read(unsigned slot, unsigned fn, unsigned reg, unsigned size)
{
	uint32_t v = 0;

	if ((size != 1 && size != 2 && size != 4) || (reg & (size - 1)) || reg >= PCI_CONFIG_SIZE)
		return ~0U >> (32 - 8 * (size > 4 ? 4 : size));
	if (slot != pdev->slot || fn != 0)
		return ~0U >> (32 - 8 * size);      /* master abort */
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)m.cfg[reg + i] << (8 * i);
	return v;
}

static void config_model_write(unsigned slot, unsigned fn, unsigned reg, unsigned size,
			       uint32_t value)
{
	if ((size != 1 && size != 2 && size != 4) || (reg & (size - 1)) || reg >= PCI_CONFIG_SIZE)
		return;
	if (slot != pdev->slot || fn != 0)
		return;
	for (unsigned i = 0; i < size; i++) {
		unsigned o = reg + i;
		uint8_t v = (uint8_t)(value >> (8 * i));

		m.cfg[o] = (uint8_t)((m.cfg[o] & ~m.wmask[o]) | (v & m.wmask[o]));
		m.cfg[o] &= (uint8_t)~(v & m.w1cmask[o]);
	}
}

/* ---- Steps ---- */

static void config_access(uint8_t op, uint8_t tgt, uint16_t off, uint64_t value, unsigned size)
{
	unsigned slot = (tgt & 1) ? EMPTY_SLOT : pdev->slot, fn = (tgt >> 1) & 7;
	/* Mostly the header, where the BARs and the command register are. */
	unsigned reg = (op & 0x40) ? off % 0x1000 : off % 0x40;
	uint64_t addr = LAYOUT_ECAM_START + ((uint64_t)slot << 15) + ((uint64_t)fn << 12) + reg;
	uint64_t v = 0;

	if ((op & 7) == 1) {
		CHECK(bus_write(&vm.mmio, addr, size, value));
		if (size <= 4)
			config_model_write(slot, fn, reg, size, (uint32_t)value);
		return;
	}
	CHECK(bus_read(&vm.mmio, addr, size, &v));
	CHECK(size > 4 ? v == ~0ULL : v == config_expect_read(slot, fn, reg, size));
}

static void regs_access(uint8_t op, uint16_t off, uint64_t value, unsigned size)
{
	int64_t rel = (int16_t)off % 300;
	uint64_t addr = model_bar0() + (uint64_t)rel, v = 0;
	bool inside = bar0_decoded() && rel >= 0 && (uint64_t)rel + size <= REGS_SIZE;
	bool decoded;

	/* ECAM decodes what it decodes; that is the config steps' business. */
	if (overlaps(addr, size, LAYOUT_ECAM_START, LAYOUT_ECAM_SIZE))
		return;
	if ((op & 7) == 3) {
		decoded = bus_write(&vm.mmio, addr, size, value);
		CHECK(decoded == inside);
		for (unsigned i = 0; inside && i < size; i++)
			if ((uint64_t)rel + i < sizeof(m.regs))
				m.regs[rel + i] = (uint8_t)(value >> (8 * i));
		return;
	}
	decoded = bus_read(&vm.mmio, addr, size, &v);
	CHECK(decoded == inside);
	if (inside) {
		uint64_t want = 0;

		for (unsigned i = 0; i < size; i++)
			if ((uint64_t)rel + i < sizeof(m.regs))
				want |= (uint64_t)m.regs[rel + i] << (8 * i);
		CHECK(v == want);
	}
}

/* The guest writes a byte into BAR2: it is in the file. */
static void shared_write(uint16_t off, uint64_t value)
{
	uint64_t at = ((uint64_t)off * 97) % SHM_SIZE;
	uint8_t b = 0;

	if (!bar2_mapped())
		return;
	((uint8_t *)(uintptr_t)slots[0].userspace_addr)[at] = (uint8_t)value;
	CHECK(pread(shm_fd, &b, 1, (off_t)at) == 1);
	CHECK(b == (uint8_t)value);
}

static void status_check(void)
{
	struct json_object *st = json_object_new_object(), *devs, *o, *v;
	char want[32];

	json_object_object_add(st, "devices", json_object_new_array());
	dev.type->status(&dev, st);
	CHECK(json_object_object_get_ex(st, "devices", &devs));
	CHECK(json_object_array_length(devs) == 1);
	o = json_object_array_get_idx(devs, 0);
	CHECK(json_object_object_get_ex(o, "guest-address", &v));
	if (bar2_mapped()) {
		snprintf(want, sizeof(want), "0x%llx", (unsigned long long)model_bar2());
		CHECK(v && !strcmp(json_object_get_string(v), want));
	} else {
		CHECK(!v);
	}
	json_object_put(st);
}

static void attach(void)
{
	vm.kvm.vm_fd = fake_vm_fd;
	vm.kvm.nr_memslots = NSLOTS;
	vm.kvm.next_memslot = 0;
	memset(slots, 0, sizeof(slots));
	m.vm_exists = true;
	CHECK(dev.type->attach(&dev) == 0);
}

static void reboot(void)
{
	dev.type->detach(&dev);
	vm.kvm.vm_fd = -1;
	m.vm_exists = false;
	pci_host_reset(&vm);
	le_put(&m.cfg[PCI_COMMAND], 2, 0);
	memset(m.regs, 0, sizeof(m.regs));
	attach();
}

static void check_state(void)
{
	/* ECAM, and BAR0 when decoded: nothing else on the MMIO bus. */
	CHECK(vm.mmio.nranges == 1u + bar0_decoded());
	if (bar2_mapped()) {
		CHECK(slots[0].memory_size == SHM_SIZE);
		CHECK(slots[0].guest_phys_addr == model_bar2());
		CHECK(slots[0].userspace_addr != 0);
	} else {
		CHECK(slots[0].memory_size == 0);
	}
	for (unsigned i = 1; i < NSLOTS; i++)
		CHECK(slots[i].memory_size == 0);
}

static void one(const uint8_t *rec)
{
	uint8_t op = rec[0], tgt = rec[1];
	uint16_t off = (uint16_t)(rec[2] | rec[3] << 8);
	uint64_t value = le_get(rec + 4, 8);
	unsigned size = ((op >> 3) & 7) + 1;

	/* The vCPU loop zero-extends what the guest wrote. */
	if (size < 8)
		value &= (1ULL << (8 * size)) - 1;
	switch (op & 7) {
	case 0: case 1: config_access(op, tgt, off, value, size); break;
	case 2: case 3: regs_access(op, off, value, size); break;
	case 4: shared_write(off, value); break;
	case 5: reboot(); break;
	case 6: status_check(); break;
	default:
		/* Memory decoding on or off, as drivers do it. */
		config_access(1, 0, PCI_COMMAND, value & 0xffff, 2);
		break;
	}
	check_state();
}

/* ---- The VM ---- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char text[256];
	struct config_error err = { { 0 } };

	log_set_max_level(LOG_CRIT);
	snprintf(shm_path, sizeof(shm_path), "%s/shm", fuzz_scratch_dir("fuzz_ivshmem"));
	/* There before partvm: no input's device removes it. */
	shm_fd = open(shm_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (shm_fd < 0 || ftruncate(shm_fd, (off_t)SHM_SIZE) < 0)
		abort();
	fake_vm_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fake_vm_fd < 0)
		abort();
	memset(&vm, 0, sizeof(vm));
	config_init(&cfg, board_device_types);
	snprintf(text, sizeof(text), "[ivshmem]\npath = %s\nsize = 64K\n", shm_path);
	if (config_load_string(&cfg, "fuzz.conf", text, &err) < 0 || cfg.ndevices != 1) {
		fprintf(stderr, "fuzz_ivshmem: %s\n", err.msg);
		abort();
	}
	vm.cfg = &cfg;
	vm.ncpus = 1;
	kvm_init(&vm.kvm);
	pthread_mutex_init(&vm.lock, NULL);
	if (memory_layout_init(&vm.mem.layout, FAKE_RAM, LAYOUT_DIRECT_BOOT) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (bus_init(&vm.pio, "pio") < 0 || bus_init(&vm.mmio, "mmio") < 0 || pci_host_init(&vm) < 0)
		abort();
	dev = (struct device){ .type = &ivshmem_device_type, .vm = &vm, .dc = &cfg.devices[0] };
	snprintf(dev.name, sizeof(dev.name), "ivshmem0");
	CHECK(dev.type->create(&dev, NULL) == 0);
	pdev = NULL;
	for (unsigned s = 1; s < PCI_MAX_SLOTS; s++)
		if (vm.pci->slots[s][0] && vm.pci->slots[s][0]->opaque == dev.priv)
			pdev = vm.pci->slots[s][0];
	CHECK(pdev && pdev->slot != EMPTY_SLOT);
	memset(&m, 0, sizeof(m));
	memcpy(m.cfg, pdev->cfg, sizeof(m.cfg));
	memcpy(m.wmask, pdev->wmask, sizeof(m.wmask));
	memcpy(m.w1cmask, pdev->w1cmask, sizeof(m.w1cmask));
	attach();
	check_state();

	for (size_t i = 0; i + RECORD <= size; i += RECORD)
		one(data + i);

	/* The device's config space, byte for byte; IDs never changed. */
	CHECK(!memcmp(pdev->cfg, m.cfg, sizeof(m.cfg)));
	CHECK(le_get(&pdev->cfg[PCI_VENDOR_ID], 4) == 0x11101af4);

	dev.type->detach(&dev);
	dev.type->free(&dev);
	vm.kvm.vm_fd = -1;
	CHECK(vm.mmio.nranges == 1);
	pci_host_exit(&vm);
	bus_destroy(&vm.pio);
	bus_destroy(&vm.mmio);
	return 0;
}
