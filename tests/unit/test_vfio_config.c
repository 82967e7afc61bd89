// SPDX-License-Identifier: GPL-2.0-only
// LDFLAGS: -Wl,--wrap=ioctl
/*
 * Config space of a passed-through device, as the guest sees it through
 * partvm's PCI host: BARs size like hardware and never reach the device,
 * the capability list keeps only what a guest may use, the extended space
 * is empty, the command register is the guest's and reaches the device,
 * the status register and capability bodies are the device's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>

#include "vfio_fake.h"

/* A VF-like device: BAR0 16 KiB 32-bit, BAR2 1 MiB 64-bit prefetchable,
 * BAR4 32 bytes of I/O; capabilities PM (0x40) -> VPD (0x50, hidden) ->
 * MSI-X (0x60) -> PCIe endpoint (0x70) -> PCI-X (0xa0, hidden); an SR-IOV
 * extended capability at 0x100 (hidden); INTx pin A. */
static void fake_device(void)
{
	fake_init();
	fake_bar(0, 16384, 0, true);
	fake_bar(2, 1 << 20, PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH, true);
	fake_bar(4, 32, PCI_BASE_ADDRESS_SPACE_IO, false);
	fake.irq_count[VFIO_PCI_INTX_IRQ_INDEX] = 1;
	fake.irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = 4;
	cfg_put(PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	cfg_put(PCI_CAPABILITY_LIST, 1, 0x40);
	cfg_put(0x40, 2, 0x5000 | PCI_CAP_ID_PM);
	cfg_put(0x44, 2, 0x0000);                        /* PMCSR: D0 */
	cfg_put(0x50, 2, 0x6000 | PCI_CAP_ID_VPD);
	cfg_put(0x60, 2, 0x7000 | PCI_CAP_ID_MSIX);
	cfg_put(0x62, 2, 3);                             /* 4 vectors */
	cfg_put(0x64, 4, 0x2000);                        /* table: BAR0 + 0x2000 */
	cfg_put(0x68, 4, 0x3000);                        /* PBA: BAR0 + 0x3000 */
	cfg_put(0x70, 2, 0xa000 | PCI_CAP_ID_EXP);
	cfg_put(0x72, 2, 0x0002 | (PCI_EXP_TYPE_ENDPOINT << 4));
	cfg_put(0x74, 4, 0x12345678);                    /* DevCap, passed through */
	cfg_put(0xa0, 2, 0x0000 | PCI_CAP_ID_PCIX);
	cfg_put(0x100, 4, 0x00010000 | PCI_EXT_CAP_ID_SRIOV);
	cfg_put(PCI_INTERRUPT_PIN, 1, 1);
}

static struct vfio_pci *make_device(const char *rom)
{
	fake_device();
	return fake_create(rom);
}

static void test_ids_and_header(void **state)
{
	struct vfio_pci *p = make_device(NULL);

	assert_int_equal(guest_cfg_read(p, PCI_VENDOR_ID, 4), 0x10ca8086);
	assert_int_equal(guest_cfg_read(p, PCI_CLASS_REVISION, 4), 0x02000001);
	assert_int_equal(guest_cfg_read(p, PCI_SUBSYSTEM_VENDOR_ID, 4), 0xa03c8086);
	/* One function on partvm's bus, whatever it was on the host. */
	assert_int_equal(guest_cfg_read(p, PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_NORMAL);
	/* INTx pin A, routed to the _PRT's GSI for the slot. */
	assert_int_equal(guest_cfg_read(p, PCI_INTERRUPT_PIN, 1), 1);
	assert_int_equal(guest_cfg_read(p, PCI_INTERRUPT_LINE, 1), pci_intx_gsi(p->pci.slot, 1));
	/* Reset at start. */
	assert_int_equal(fake.resets, 1);
	fake_fini(p);
}

/* The device as function 1 of a guest slot whose function 0 is another
 * (here an emulated device): the guest reaches it there, both functions
 * say the slot is multi-function (the host's bit 7 plays no part), and
 * its INTx is the slot's. Into a slot without function 0 it is refused,
 * saying why. */
static void test_function_of_a_slot(void **state)
{
	static struct pci_device f0;
	struct vfio_pci *p = NULL;
	char err[256] = "";

	fake_device();
	pci_device_init(&f0, "f0", 0x1234, 0x5678, 0xff0000, 0);
	assert_int_equal(pci_host_add_device(vm.pci, &f0, 6, 0), 0);

	fake.model_fd = dup(fake.dev_fd);
	assert_int_equal(vfio_pci_create(&vm, fake.model_fd, "0000:00:03.1", 7, 1, NULL, false, &p, err,
					 sizeof(err)), -EADDRNOTAVAIL);
	assert_null(p);
	assert_string_equal(err, "guest slot 07 has no function 0, and a guest looks for function 1 "
			    "only beside one");
	assert_int_equal(pci_host_config_read(vm.pci, 7, 1, PCI_VENDOR_ID, 4), 0xffffffff);

	fake.model_fd = dup(fake.dev_fd);
	assert_int_equal(vfio_pci_create(&vm, fake.model_fd, "0000:00:03.1", 6, 1, NULL, false, &p, err,
					 sizeof(err)), 0);
	assert_int_equal(p->pci.slot, 6);
	assert_int_equal(p->pci.fn, 1);
	assert_int_equal(pci_host_config_read(vm.pci, 6, 1, PCI_VENDOR_ID, 4), 0x10ca8086);
	assert_int_equal(guest_cfg_read(p, PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_MFD);
	assert_int_equal(pci_host_config_read(vm.pci, 6, 0, PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_MFD);
	assert_int_equal(guest_cfg_read(p, PCI_INTERRUPT_LINE, 1), pci_intx_gsi(6, 1));
	fake_fini(p);
}

static void test_bar_sizing(void **state)
{
	struct vfio_pci *p = make_device(NULL);

	guest_cfg_write(p, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	assert_int_equal(guest_cfg_read(p, PCI_BASE_ADDRESS_0, 4), 0xffffc000);
	guest_cfg_write(p, PCI_BASE_ADDRESS_2, 4, 0xffffffff);
	guest_cfg_write(p, PCI_BASE_ADDRESS_3, 4, 0xffffffff);
	assert_int_equal(guest_cfg_read(p, PCI_BASE_ADDRESS_2, 4),
			 0xfff00000 | PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	assert_int_equal(guest_cfg_read(p, PCI_BASE_ADDRESS_3, 4), 0xffffffff);
	guest_cfg_write(p, PCI_BASE_ADDRESS_4, 4, 0xffffffff);
	assert_int_equal(guest_cfg_read(p, PCI_BASE_ADDRESS_4, 4), 0xffffffe1);
	/* Unimplemented BARs read as zero whatever is written. */
	guest_cfg_write(p, PCI_BASE_ADDRESS_1, 4, 0xffffffff);
	assert_int_equal(guest_cfg_read(p, PCI_BASE_ADDRESS_1, 4), 0);
	guest_cfg_write(p, PCI_BASE_ADDRESS_5, 4, 0xffffffff);
	assert_int_equal(guest_cfg_read(p, PCI_BASE_ADDRESS_5, 4), 0);
	/* The guest's addresses stay virtual: the device's BARs keep what
	 * vfio-pci reported. */
	guest_cfg_write(p, PCI_BASE_ADDRESS_0, 4, 0xc0004000);
	assert_int_equal(guest_cfg_read(p, PCI_BASE_ADDRESS_0, 4), 0xc0004000);
	assert_int_equal(cfg_get(PCI_BASE_ADDRESS_0, 4), 0);
	assert_int_equal(cfg_get(PCI_BASE_ADDRESS_2, 4),
			 PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
	fake_fini(p);
}

static char *write_temp(const uint8_t *data, size_t len)
{
	static char path[32];
	int fd;

	snprintf(path, sizeof(path), "/tmp/vfio-rom-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_rom_bar_from_file(void **state)
{
	uint8_t img[3000];
	uint64_t v = 0;
	struct vfio_pci *p;
	char *path;

	make_rom_image(img, sizeof(img), 0x8086, 0x10ca, 3, 0);
	path = write_temp(img, sizeof(img));
	p = make_device(path);
	unlink(path);
	assert_non_null(strstr(p->rom.state, "4 KiB from /tmp/vfio-rom-"));
	assert_false(p->rom.unusable);

	/* 3000 bytes decode as a 4 KiB ROM BAR. */
	guest_cfg_write(p, PCI_ROM_ADDRESS, 4, PCI_ROM_ADDRESS_MASK);
	assert_int_equal(guest_cfg_read(p, PCI_ROM_ADDRESS, 4), 0xfffff000);
	guest_cfg_write(p, PCI_ROM_ADDRESS, 4, 0xc0100000 | PCI_ROM_ADDRESS_ENABLE);
	/* Decoded only with memory space on. */
	assert_false(guest_mmio_read(0xc0100000, 2, &v));
	guest_cfg_write(p, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_true(guest_mmio_read(0xc0100000, 2, &v));
	assert_int_equal(v, 0xaa55);
	assert_true(guest_mmio_read(0xc0100000 + 2999, 1, &v));
	assert_int_equal(v, (uint8_t)(2999 * 7));
	/* Padding up to the BAR's size reads as zero; writes change nothing. */
	guest_mmio_write(0xc0100000 + 100, 4, 0xdeadbeef);
	assert_true(guest_mmio_read(0xc0100000 + 100, 1, &v));
	assert_int_equal(v, (uint8_t)(100 * 7));
	assert_true(guest_mmio_read(0xc0100000 + 4092, 4, &v));
	assert_int_equal(v, 0);
	guest_cfg_write(p, PCI_ROM_ADDRESS, 4, 0xc0100000);
	assert_false(guest_mmio_read(0xc0100000, 2, &v));
	fake_fini(p);
}

/* What a firmware checks before it runs an image: the signature, the PCI
 * data structure, and that it names this device (directly, or in the
 * device list of a revision 3 structure). */
static void test_rom_image_check(void **state)
{
	uint8_t img[512];
	char why[160];

	make_rom_image(img, sizeof(img), 0x10de, 0x1b80, 3, 0);
	assert_int_equal(vfio_rom_check_image(img, sizeof(img), 0x10de, 0x1b80, why, sizeof(why)), 0);
	assert_int_equal(vfio_rom_check_image(img, sizeof(img), 0x10de, 0x1c82, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "is an image for device 10de:1b80, not this device's 10de:1c82");
	assert_int_equal(vfio_rom_check_image(img, sizeof(img), 0x1002, 0x1b80, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "is an image for device 10de:1b80, not this device's 1002:1b80");

	/* Revision 3: a device list (0x1234, 0x1c82) makes 10de:1c82 fit too,
	 * not another vendor's; revision 2 has no list. */
	make_rom_image(img, sizeof(img), 0x10de, 0x1b80, 3, 0x1c82);
	assert_int_equal(vfio_rom_check_image(img, sizeof(img), 0x10de, 0x1c82, why, sizeof(why)), 0);
	assert_int_equal(vfio_rom_check_image(img, sizeof(img), 0x10de, 0x1234, why, sizeof(why)), 0);
	assert_int_equal(vfio_rom_check_image(img, sizeof(img), 0x10de, 0x1c83, why, sizeof(why)), -EINVAL);
	assert_int_equal(vfio_rom_check_image(img, sizeof(img), 0x8086, 0x1c82, why, sizeof(why)), -EINVAL);
	make_rom_image(img, sizeof(img), 0x10de, 0x1b80, 2, 0x1c82);
	assert_int_equal(vfio_rom_check_image(img, sizeof(img), 0x10de, 0x1c82, why, sizeof(why)), -EINVAL);
	/* A list running off the end stops there. */
	make_rom_image(img, 0x5c, 0x10de, 0x1b80, 3, 0x1c82);
	assert_int_equal(vfio_rom_check_image(img, 0x5b, 0x10de, 0x1c82, why, sizeof(why)), -EINVAL);

	/* Not an image at all. */
	make_rom_image(img, sizeof(img), 0x10de, 0x1b80, 3, 0);
	img[1] = 0;
	assert_int_equal(vfio_rom_check_image(img, sizeof(img), 0x10de, 0x1b80, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "is not a PCI expansion ROM image (no 55 AA signature at its start)");
	assert_int_equal(vfio_rom_check_image(img, 1, 0x10de, 0x1b80, why, sizeof(why)), -EINVAL);
	img[1] = 0xaa;
	memcpy(img + 0x40, "PCIX", 4);
	assert_int_equal(vfio_rom_check_image(img, sizeof(img), 0x10de, 0x1b80, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "has no PCI data structure (no \"PCIR\" at offset 0x40)");
	/* A structure pointer past the end, or a structure cut short. */
	memcpy(img + 0x40, "PCIR", 4);
	img[0x19] = 0x7f;
	assert_int_equal(vfio_rom_check_image(img, sizeof(img), 0x10de, 0x1b80, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "has no PCI data structure (no \"PCIR\" at offset 0x7f40)");
	img[0x19] = 0;
	assert_int_equal(vfio_rom_check_image(img, 0x50, 0x10de, 0x1b80, why, sizeof(why)), -EINVAL);
	assert_int_equal(vfio_rom_check_image(img, 0x58, 0x10de, 0x1b80, why, sizeof(why)), 0);
}

/* rom = FILE for another device is refused naming both; rom = off gives
 * the guest no ROM BAR even when the device has a ROM. */
static void test_rom_file_refused_and_off(void **state)
{
	uint8_t img[1024];
	struct vfio_pci *p = NULL;
	char err[512] = "", *path;

	make_rom_image(img, sizeof(img), 0x10de, 0x1b80, 3, 0);
	path = write_temp(img, sizeof(img));
	fake_device();
	fake.model_fd = dup(fake.dev_fd);
	assert_int_equal(vfio_pci_create(&vm, fake.model_fd, "0000:00:03.0", -1, 0, path, false, &p, err,
					 sizeof(err)), -EINVAL);
	assert_null(p);
	{
		char want[300];

		snprintf(want, sizeof(want), "rom %s is an image for device 10de:1b80, not this device's "
			 "8086:10ca; give this device's own image, or rom = off", path);
		assert_string_equal(err, want);
	}
	unlink(path);
	fake_fini(NULL);

	/* The device's own ROM, a valid image: the guest gets it... */
	fake_device();
	make_rom_image(img, sizeof(img), 0x8086, 0x10ca, 3, 0);
	fake.r[VFIO_PCI_ROM_REGION_INDEX] = (struct fake_region){ .size = sizeof(img),
								  .flags = VFIO_REGION_INFO_FLAG_READ };
	assert_int_equal(pwrite(fake.dev_fd, img, sizeof(img), (off_t)FAKE_OFF(VFIO_PCI_ROM_REGION_INDEX)),
			 (ssize_t)sizeof(img));
	p = fake_create(NULL);
	assert_string_equal(p->rom.state, "the device's, 2 KiB");
	guest_cfg_write(p, PCI_ROM_ADDRESS, 4, PCI_ROM_ADDRESS_MASK);
	assert_int_equal(guest_cfg_read(p, PCI_ROM_ADDRESS, 4), 0xfffff800);
	fake_fini(p);

	/* ...but not with rom = off. */
	fake_device();
	fake.r[VFIO_PCI_ROM_REGION_INDEX] = (struct fake_region){ .size = sizeof(img),
								  .flags = VFIO_REGION_INFO_FLAG_READ };
	assert_int_equal(pwrite(fake.dev_fd, img, sizeof(img), (off_t)FAKE_OFF(VFIO_PCI_ROM_REGION_INDEX)),
			 (ssize_t)sizeof(img));
	fake.rom_off = true;
	p = fake_create(NULL);
	assert_string_equal(p->rom.state, "off (rom = off)");
	assert_false(p->rom.unusable);
	guest_cfg_write(p, PCI_ROM_ADDRESS, 4, PCI_ROM_ADDRESS_MASK);
	assert_int_equal(guest_cfg_read(p, PCI_ROM_ADDRESS, 4), 0);
	fake_fini(p);

	/* A ROM that reads back as no image (a GPU's after the host's firmware
	 * shadowed it): none for the guest, and why, for the log. */
	fake_device();
	memset(img, 0xff, sizeof(img));
	fake.r[VFIO_PCI_ROM_REGION_INDEX] = (struct fake_region){ .size = sizeof(img),
								  .flags = VFIO_REGION_INFO_FLAG_READ };
	assert_int_equal(pwrite(fake.dev_fd, img, sizeof(img), (off_t)FAKE_OFF(VFIO_PCI_ROM_REGION_INDEX)),
			 (ssize_t)sizeof(img));
	p = fake_create(NULL);
	assert_true(p->rom.unusable);
	assert_string_equal(p->rom.state, "none: the device's ROM is not a PCI expansion ROM image (no 55 AA "
					  "signature at its start)");
	guest_cfg_write(p, PCI_ROM_ADDRESS, 4, PCI_ROM_ADDRESS_MASK);
	assert_int_equal(guest_cfg_read(p, PCI_ROM_ADDRESS, 4), 0);
	fake_fini(p);
}

static void test_capabilities_hidden(void **state)
{
	struct vfio_pci *p = make_device(NULL);
	uint8_t seen[8];
	unsigned n = 0;

	assert_true(guest_cfg_read(p, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	for (unsigned off = guest_cfg_read(p, PCI_CAPABILITY_LIST, 1); off && n < 8;
	     off = guest_cfg_read(p, off + PCI_CAP_LIST_NEXT, 1))
		seen[n++] = (uint8_t)guest_cfg_read(p, off, 1);
	assert_int_equal(n, 3);
	assert_int_equal(seen[0], PCI_CAP_ID_PM);
	assert_int_equal(seen[1], PCI_CAP_ID_MSIX);
	assert_int_equal(seen[2], PCI_CAP_ID_EXP);
	/* No extended capability reaches the guest (SR-IOV is the host's). */
	assert_int_equal(guest_cfg_read(p, 0x100, 4), 0);
	guest_cfg_write(p, 0x100, 4, 0xffffffff);
	assert_int_equal(guest_cfg_read(p, 0x100, 4), 0);
	assert_int_equal(cfg_get(0x100, 4), 0x00010000 | PCI_EXT_CAP_ID_SRIOV);
	/* On partvm's root bus the endpoint is root-complex integrated;
	 * the rest of the PCIe capability is the device's. */
	assert_int_equal((guest_cfg_read(p, 0x72, 2) & PCI_EXP_FLAGS_TYPE) >> 4, PCI_EXP_TYPE_RC_END);
	assert_int_equal(guest_cfg_read(p, 0x72, 2) & PCI_EXP_FLAGS_VERS, 2);
	assert_int_equal(guest_cfg_read(p, 0x74, 4), 0x12345678);
	/* The guest's power-state writes reach the device. */
	guest_cfg_write(p, 0x44, 2, 3 /* D3hot */);
	assert_int_equal(cfg_get(0x44, 2), 3 /* D3hot */);
	/* MSI-X: the table size is the device's, enable and mask are ours. */
	assert_int_equal(guest_cfg_read(p, 0x62, 2), 3);
	assert_int_equal(guest_cfg_read(p, 0x64, 4), 0x2000);
	fake_fini(p);
}

static void test_command_register(void **state)
{
	struct vfio_pci *p = make_device(NULL);
	uint16_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE;
	uint32_t bar0;

	assert_int_equal(vfio_pci_attach(p), 0);
	bar0 = guest_cfg_read(p, PCI_BASE_ADDRESS_0, 4) & PCI_BASE_ADDRESS_MEM_MASK;
	assert_true(bar0 >= LAYOUT_MMIO32_START && bar0 < LAYOUT_MMIO32_START + LAYOUT_MMIO32_SIZE);
	assert_int_equal(p->bars[0].npieces, 1);

	guest_cfg_write(p, PCI_COMMAND, 2, cmd);
	/* The device decodes, masters and masks INTx as the guest asked... */
	assert_int_equal(cfg_get(PCI_COMMAND, 2), cmd);
	assert_int_equal(guest_cfg_read(p, PCI_COMMAND, 2), cmd);
	/* ...and the mmap-able part of BAR0 (below the MSI-X table page) is
	 * a memory slot at the guest's address. */
	{
		const struct kvm_userspace_memory_region *s = &fake.slots[p->bars[0].pieces[0].slot];

		assert_int_equal(s->guest_phys_addr, bar0);
		assert_int_equal(s->memory_size, 0x2000);
		assert_ptr_equal((void *)(uintptr_t)s->userspace_addr, p->bars[0].pieces[0].host);
	}
	/* The status register is the device's own: INTx status shows. */
	cfg_put(PCI_STATUS, 2, PCI_STATUS_CAP_LIST | PCI_STATUS_INTERRUPT);
	assert_int_equal(guest_cfg_read(p, PCI_COMMAND, 4) >> 16, PCI_STATUS_CAP_LIST | PCI_STATUS_INTERRUPT);
	/* Memory space off: the slot goes. */
	guest_cfg_write(p, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
	assert_int_equal(cfg_get(PCI_COMMAND, 2), PCI_COMMAND_MASTER);
	assert_int_equal(fake.slots[p->bars[0].pieces[0].slot].memory_size, 0);
	fake_fini(p);
}

static int dma_calls, dma_result;

static int fake_dma_ready(void *opaque)
{
	dma_calls++;
	return dma_result;
}

static void test_bus_master_waits_for_dma_map(void **state)
{
	struct vfio_pci *p = make_device(NULL);

	p->dma_ready = fake_dma_ready;
	/* The map failed: the device decodes but may not master. */
	dma_calls = 0;
	dma_result = -ENOMEM;
	guest_cfg_write(p, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(dma_calls, 1);
	assert_int_equal(cfg_get(PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
	assert_int_equal(guest_cfg_read(p, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
	/* Mapped: bus mastering reaches the device; asked once per enable. */
	dma_result = 0;
	guest_cfg_write(p, PCI_COMMAND, 1, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(dma_calls, 2);
	assert_int_equal(cfg_get(PCI_COMMAND, 2), PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	guest_cfg_write(p, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_SERR);
	assert_int_equal(dma_calls, 2);
	fake_fini(p);
}

static void test_hostile_accesses(void **state)
{
	struct vfio_pci *p = make_device(NULL);

	/* Out of range or odd sizes are refused before anything is touched. */
	assert_int_equal(vfio_config_read(&p->pci, PCI_CONFIG_SIZE - 2, 4), 0xffffffff);
	assert_int_equal(vfio_config_read(&p->pci, 0, 0), 0xffffffff);
	vfio_config_write(&p->pci, PCI_CONFIG_SIZE, 4, 0);
	vfio_config_write(&p->pci, PCI_CONFIG_SIZE - 1, 2, 0xffff);
	assert_int_equal(guest_cfg_read(p, PCI_VENDOR_ID, 4), 0x10ca8086);
	fake_fini(p);
}

static unsigned open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* A capability list that points back into itself (broken or hostile
 * device firmware): each capability is set up once, and the guest's list
 * has each once and ends. Before, the walk went round until its hop
 * limit and set MSI-X up again each time, leaking its table and
 * eventfds. */
static void test_capability_loop(void **state)
{
	struct vfio_pci *p;
	unsigned fds = open_fds(), n = 0, off;
	uint8_t seen[8];

	fake_init();
	fake_bar(0, 16384, 0, true);
	fake.irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = 4;
	cfg_put(PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	cfg_put(PCI_CAPABILITY_LIST, 1, 0x40);
	cfg_put(0x40, 2, 0x5000 | PCI_CAP_ID_PM);
	cfg_put(0x50, 2, 0x4000 | PCI_CAP_ID_MSIX);      /* next: back to PM */
	cfg_put(0x52, 2, 3);
	cfg_put(0x54, 4, 0x2000);
	cfg_put(0x58, 4, 0x3000);
	p = fake_create(NULL);
	for (off = guest_cfg_read(p, PCI_CAPABILITY_LIST, 1); off && n < 8;
	     off = guest_cfg_read(p, off + PCI_CAP_LIST_NEXT, 1))
		seen[n++] = (uint8_t)guest_cfg_read(p, off, 1);
	assert_int_equal(off, 0);
	assert_int_equal(n, 2);
	assert_int_equal(seen[0], PCI_CAP_ID_PM);
	assert_int_equal(seen[1], PCI_CAP_ID_MSIX);
	fake_fini(p);
	/* The vectors' eventfds went with the device. */
	assert_int_equal(open_fds(), fds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_and_header),
		cmocka_unit_test(test_function_of_a_slot),
		cmocka_unit_test(test_bar_sizing),
		cmocka_unit_test(test_rom_bar_from_file),
		cmocka_unit_test(test_rom_image_check),
		cmocka_unit_test(test_rom_file_refused_and_off),
		cmocka_unit_test(test_capabilities_hidden),
		cmocka_unit_test(test_command_register),
		cmocka_unit_test(test_bus_master_waits_for_dma_map),
		cmocka_unit_test(test_hostile_accesses),
		cmocka_unit_test(test_capability_loop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
