// SPDX-License-Identifier: GPL-2.0-only
/*
 * partvm host check on fake hosts: a development machine without IOMMU
 * (FAIL naming the IOMMU), a lab-like host (all PASS but hugepages),
 * unsafe interrupts, ACS override, a group shared with the root disk, an
 * AMD GPU without reset, and the gpu check: no GPU, a clean one, each of
 * its findings alone, all at once, and more GPUs than one line holds.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_sysfs.h"
#include "iommu/iommu.h"

struct fixture {
	char *root;
	struct iommu_host h;
	struct iommu_check c[IOMMU_CHECKS_MAX];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->root = fake_sysfs_create();
	assert_non_null(f->root);
	assert_int_equal(iommu_host_init(&f->h), 0);
	snprintf(f->h.root, sizeof(f->h.root), "%s", f->root);
	assert_int_equal(fake_sysfs_write(f->root, "proc/cpuinfo",
		"processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu vme de pse svm npt\n\n"), 0);
	assert_int_equal(fake_sysfs_write(f->root, "proc/sys/kernel/osrelease", "6.1.0-56-amd64\n"), 0);
	assert_int_equal(fake_sysfs_write(f->root, "proc/meminfo",
		"MemTotal: 3000000 kB\nHugePages_Total:       0\nHugePages_Free:        0\nHugepagesize:       2048 kB\n"), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fake_sysfs_destroy(f->root);
	free(f);
	return 0;
}

static const struct iommu_check *run(struct fixture *f, const char *name)
{
	int n = iommu_host_check(&f->h, f->c, IOMMU_CHECKS_MAX);

	assert_int_equal(n, 8);
	for (int i = 0; i < n; i++)
		if (!strcmp(f->c[i].name, name))
			return &f->c[i];
	fail_msg("no check %s", name);
	return NULL;
}

/* A lab-like host: DMAR, groups, IR chips, vfio loaded, an igb PF. */
static void make_lab(struct fixture *f)
{
	static const struct fake_pci igb = { .bdf = "0000:00:01.0", .vendor = 0x8086, .device = 0x10c9,
					     .class_code = 0x020000, .group = 1, .driver = "igb", .flr = true,
					     .reset_method = "flr pm" };
	assert_int_equal(fake_sysfs_add_pci(f->root, &igb), 0);
	assert_int_equal(fake_sysfs_write(f->root, "sys/firmware/acpi/tables/DMAR", "DMAR"), 0);
	assert_int_equal(fake_sysfs_write(f->root, "sys/class/iommu/dmar0/.keep", ""), 0);
	assert_int_equal(fake_sysfs_write(f->root, "proc/cmdline", "console=ttyS0 intel_iommu=on iommu=pt\n"), 0);
	assert_int_equal(fake_sysfs_write(f->root, "proc/interrupts",
		"           CPU0\n 24:   5  IR-PCI-MSI 32768-edge  eth0-rx-0\n"), 0);
	assert_int_equal(fake_sysfs_write(f->root, "sys/module/vfio_pci/.keep", ""), 0);
	assert_int_equal(fake_sysfs_write(f->root, "sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts",
					  "N\n"), 0);
	assert_int_equal(fake_sysfs_write(f->root, "dev/kvm", ""), 0);
}

static void test_no_iommu_fails_naming_it(void **state)
{
	struct fixture *f = *state;
	const struct iommu_check *c;

	assert_int_equal(fake_sysfs_write(f->root, "proc/cmdline", "console=ttyS0 quiet\n"), 0);
	c = run(f, "iommu");
	assert_int_equal(c->status, IOMMU_CHECK_FAIL);
	assert_string_equal(c->message, "no IOMMU: no ACPI DMAR (Intel VT-d) or IVRS (AMD-Vi) table and no IOMMU "
					"groups; cmdline: intel_iommu=(unset) amd_iommu=(unset) iommu=(unset)");
	assert_non_null(strstr(c->hint, "enable VT-d (Intel) or AMD-Vi"));
	c = run(f, "kvm");
	assert_int_equal(c->status, IOMMU_CHECK_FAIL);
	assert_string_equal(c->message, "no usable /dev/kvm: No such file or directory (CPU has svm)");
	assert_int_equal(run(f, "vfio")->status, IOMMU_CHECK_FAIL);
	assert_string_equal(run(f, "vfio")->message,
			    "not available for kernel 6.1.0-56-amd64: vfio_pci vfio_iommu_type1");
	assert_int_equal(run(f, "intremap")->status, IOMMU_CHECK_FAIL);
	assert_int_equal(run(f, "groups")->status, IOMMU_CHECK_FAIL);
	/* No device has a group, so no reset was checked: not a PASS. */
	c = run(f, "resets");
	assert_int_equal(c->status, IOMMU_CHECK_WARN);
	assert_string_equal(c->message, "no device has an IOMMU group, so no reset could be checked");
	assert_string_equal(c->hint, "turn the IOMMU on first (see the iommu check)");
}

static void test_firmware_on_kernel_off(void **state)
{
	struct fixture *f = *state;
	const struct iommu_check *c;

	assert_int_equal(fake_sysfs_write(f->root, "sys/firmware/acpi/tables/DMAR", "DMAR"), 0);
	assert_int_equal(fake_sysfs_write(f->root, "proc/cmdline", "intel_iommu=off\n"), 0);
	c = run(f, "iommu");
	assert_int_equal(c->status, IOMMU_CHECK_FAIL);
	assert_string_equal(c->message, "the firmware has an IOMMU (ACPI DMAR, Intel VT-d) but the kernel did not "
					"enable it: no IOMMU groups; cmdline: intel_iommu=off amd_iommu=(unset) "
					"iommu=(unset)");
	assert_string_equal(c->hint, "boot with intel_iommu=on (add iommu=pt to keep host devices fast)");
}

static void test_lab_like_host(void **state)
{
	struct fixture *f = *state;
	const struct iommu_check *c;

	make_lab(f);
	c = run(f, "iommu");
	assert_int_equal(c->status, IOMMU_CHECK_PASS);
	assert_string_equal(c->message, "IOMMU enabled: ACPI DMAR (Intel VT-d), 1 IOMMU unit(s), 1 groups; cmdline: "
					"intel_iommu=on amd_iommu=(unset) iommu=pt (pass-through for host devices)");
	assert_string_equal(c->hint, "");
	assert_int_equal(run(f, "intremap")->status, IOMMU_CHECK_PASS);
	/* vfio_pci loaded, vfio_iommu_type1 present as a directory too */
	assert_int_equal(run(f, "vfio")->status, IOMMU_CHECK_PASS);
	assert_int_equal(run(f, "groups")->status, IOMMU_CHECK_PASS);
	c = run(f, "resets");
	assert_int_equal(c->status, IOMMU_CHECK_PASS);
	assert_string_equal(c->message, "all 1 endpoint(s) with an IOMMU group have FLR or a bus reset");
	c = run(f, "hugepages");
	assert_int_equal(c->status, IOMMU_CHECK_WARN);
	assert_non_null(strstr(c->hint, "nr_hugepages"));
	/* /dev/kvm is a plain file here: present but not KVM. */
	c = run(f, "kvm");
	assert_int_equal(c->status, IOMMU_CHECK_FAIL);
	assert_non_null(strstr(c->message, "/dev/kvm does not answer KVM_GET_API_VERSION"));

	assert_int_equal(fake_sysfs_write(f->root, "proc/meminfo",
		"HugePages_Total:     512\nHugePages_Free:      500\nHugepagesize:       2048 kB\n"), 0);
	c = run(f, "hugepages");
	assert_int_equal(c->status, IOMMU_CHECK_PASS);
	assert_string_equal(c->message, "512 hugepages of 2048 kB reserved, 500 free");
}

static void test_unsafe_interrupts_and_loadable_vfio(void **state)
{
	struct fixture *f = *state;
	const struct iommu_check *c;

	make_lab(f);
	assert_int_equal(fake_sysfs_write(f->root, "proc/interrupts", " 24:  5  PCI-MSI 32768-edge  eth0\n"), 0);
	assert_int_equal(fake_sysfs_write(f->root,
		"sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts", "Y\n"), 0);
	c = run(f, "intremap");
	assert_int_equal(c->status, IOMMU_CHECK_WARN);
	assert_non_null(strstr(c->message, "allow_unsafe_interrupts=Y"));

	/* vfio_pci not loaded but in modules.dep */
	char p[4096];
	snprintf(p, sizeof(p), "%s/sys/module/vfio_pci/.keep", f->root);
	assert_int_equal(remove(p), 0);
	snprintf(p, sizeof(p), "%s/sys/module/vfio_pci", f->root);
	assert_int_equal(remove(p), 0);
	assert_int_equal(fake_sysfs_write(f->root, "lib/modules/6.1.0-56-amd64/modules.dep",
		"kernel/drivers/vfio/pci/vfio-pci.ko: kernel/drivers/vfio/pci/vfio-pci-core.ko\n"), 0);
	c = run(f, "vfio");
	assert_int_equal(c->status, IOMMU_CHECK_WARN);
	assert_string_equal(c->message, "available but not loaded: vfio_pci; loaded: vfio_iommu_type1");
	assert_string_equal(c->hint, "modprobe vfio-pci (partvm vfio bind needs it loaded)");
}

static void test_groups_and_resets(void **state)
{
	struct fixture *f = *state;
	static const struct fake_pci sata = { .bdf = "0000:00:1f.2", .vendor = 0x8086, .device = 0x2922,
					      .class_code = 0x010601, .group = 8, .driver = "ahci" };
	static const struct fake_pci smbus = { .bdf = "0000:00:1f.3", .vendor = 0x8086, .device = 0x2930,
					       .class_code = 0x0c0500, .group = 8, .reset_method = "bus" };
	static const struct fake_pci gpu = { .bdf = "0000:03:00.0", .vendor = 0x1002, .device = 0x67df,
					     .class_code = 0x030000, .group = 9, .driver = "amdgpu" };
	const struct iommu_check *c;

	make_lab(f);
	assert_int_equal(fake_sysfs_add_pci(f->root, &sata), 0);
	assert_int_equal(fake_sysfs_add_pci(f->root, &smbus), 0);
	assert_int_equal(fake_sysfs_add_pci(f->root, &gpu), 0);
	/* the SATA controller carries the root filesystem */
	assert_int_equal(fake_sysfs_write(f->root,
		"sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda/dev", "8:0\n"), 0);
	assert_int_equal(fake_sysfs_link(f->root, "sys/dev/block/8:0",
		"../../devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda"), 0);
	assert_int_equal(fake_sysfs_write(f->root, "proc/self/mountinfo",
		"26 1 8:0 / / rw,relatime - ext4 /dev/sda rw\n"), 0);

	c = run(f, "groups");
	assert_int_equal(c->status, IOMMU_CHECK_WARN);
	assert_string_equal(c->message, "0000:00:1f.3 shares group 8 with 0000:00:1f.2 (holds the root filesystem)");

	c = run(f, "resets");
	assert_int_equal(c->status, IOMMU_CHECK_WARN);
	assert_string_equal(c->message, "no FLR or bus reset (reset_method): 0000:00:1f.2 Intel Corporation "
					"82801IR/IO/IH (ICH9R/DO/DH) 6 port SATA Controller [AHCI mode], 0000:03:00.0 "
					"Advanced Micro Devices, Inc. [AMD/ATI] Ellesmere [Radeon RX 470/480/570/570X/580/580X/590] "
					"(AMD GPUs: the known reset bug)");
	assert_non_null(strstr(c->hint, "vendor-reset"));

	assert_int_equal(fake_sysfs_write(f->root, "proc/cmdline", "intel_iommu=on pcie_acs_override=downstream\n"), 0);
	c = run(f, "groups");
	assert_int_equal(c->status, IOMMU_CHECK_WARN);
	assert_non_null(strstr(c->message, "pcie_acs_override=downstream splits groups in software"));
	assert_non_null(strstr(c->message, "isolation is not real"));
}

/* ---- gpu ---------------------------------------------------------------- */

/* A GTX 1080 and its HDMI audio at 01:00.1 behind root port 00:01.0, all in
 * group 3; on vfio-pci, with FLR: ready for passthrough. */
static const struct fake_pci gpu_port = { .bdf = "0000:00:01.0", .vendor = 0x8086, .device = 0x1901,
					  .class_code = 0x060400, .group = 3, .driver = "pcieport", .bridge = true };
static const struct fake_pci gpu_nv = { .bdf = "0000:01:00.0", .vendor = 0x10de, .device = 0x1b80,
					.class_code = 0x030000, .group = 3, .driver = "vfio-pci", .flr = true,
					.reset_method = "flr bus" };
static const struct fake_pci gpu_nv_audio = { .bdf = "0000:01:00.1", .vendor = 0x10de, .device = 0x10f0,
					      .class_code = 0x040300, .group = 3, .driver = "vfio-pci",
					      .flr = true, .reset_method = "flr bus" };
#define NV "0000:01:00.0 NVIDIA Corporation GP104 [GeForce GTX 1080]"

static void add_gpu(struct fixture *f, const struct fake_pci *gpu)
{
	make_lab(f);
	assert_int_equal(fake_sysfs_add_pci(f->root, &gpu_port), 0);
	assert_int_equal(fake_sysfs_add_pci(f->root, gpu), 0);
	assert_int_equal(fake_sysfs_add_pci(f->root, &gpu_nv_audio), 0);
}

static void assert_has(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("\"%s\" not in \"%s\"", part, text);
}

static void test_gpu_none(void **state)
{
	struct fixture *f = *state;
	const struct iommu_check *c;

	make_lab(f);
	c = run(f, "gpu");
	assert_int_equal(c->status, IOMMU_CHECK_PASS);
	assert_string_equal(c->message, "no display controller (PCI class 03) found");
	assert_string_equal(c->hint, "");
	/* after resets, last */
	assert_string_equal(f->c[7].name, "gpu");
	assert_string_equal(f->c[6].name, "resets");
}

static void test_gpu_clean(void **state)
{
	struct fixture *f = *state;
	const struct iommu_check *c;

	add_gpu(f, &gpu_nv);
	/* Translated default domains are what a group should have. */
	assert_int_equal(fake_sysfs_write(f->root, "sys/kernel/iommu_groups/3/type", "DMA-FQ\n"), 0);
	c = run(f, "gpu");
	assert_int_equal(c->status, IOMMU_CHECK_PASS);
	assert_string_equal(c->message, "ready for passthrough: " NV ": own IOMMU group 3 (with 0000:01:00.1 of its "
					"slot), FLR, on vfio-pci");
	assert_string_equal(c->hint, "");
}

static void test_gpu_shares_group(void **state)
{
	struct fixture *f = *state;
	static const struct fake_pci usb = { .bdf = "0000:02:00.0", .vendor = 0x8086, .device = 0xa36d,
					     .class_code = 0x0c0330, .group = 3, .driver = "xhci_hcd", .flr = true };
	const struct iommu_check *c;

	add_gpu(f, &gpu_nv);
	assert_int_equal(fake_sysfs_add_pci(f->root, &usb), 0);
	c = run(f, "gpu");
	assert_int_equal(c->status, IOMMU_CHECK_WARN);
	assert_string_equal(c->message, NV ": shares IOMMU group 3 with 0000:02:00.0 (xhci_hcd): they can only go to "
					"a guest together");
	/* neither the root port nor its own audio function is a finding */
	assert_null(strstr(c->message, "0000:00:01.0"));
	assert_null(strstr(c->message, "0000:01:00.1"));
	assert_string_equal(c->hint, "use a slot with its own IOMMU group, or pass the whole group "
				     "(partvm vfio bind --group)");
}

static void test_gpu_no_reset(void **state)
{
	struct fixture *f = *state;
	struct fake_pci gpu = gpu_nv;
	const struct iommu_check *c;

	gpu.flr = false;
	gpu.reset_method = "pm";
	add_gpu(f, &gpu);
	c = run(f, "gpu");
	assert_int_equal(c->status, IOMMU_CHECK_WARN);
	assert_string_equal(c->message, NV ": no FLR or bus reset (reset_method: pm)");
	assert_has(c->hint, "reboot the host before another guest gets the card");
	assert_null(strstr(c->hint, "vendor-reset"));
	/* the resets check says the same */
	assert_int_equal(run(f, "resets")->status, IOMMU_CHECK_WARN);
	assert_has(run(f, "resets")->message, "0000:01:00.0");
}

static void test_gpu_host_driver(void **state)
{
	struct fixture *f = *state;
	struct fake_pci gpu = gpu_nv;
	const struct iommu_check *c;

	gpu.driver = "nouveau";
	add_gpu(f, &gpu);
	c = run(f, "gpu");
	assert_int_equal(c->status, IOMMU_CHECK_WARN);
	assert_string_equal(c->message, NV ": host driver nouveau holds it");
	/* the audio function has to come along, or the group is not viable */
	assert_string_equal(c->hint, "bind it to vfio-pci before the host driver does: vfio-pci.ids=10de:1b80,10de:10f0 "
				     "on the kernel command line, or partvm vfio bind 0000:01:00.0 0000:01:00.1");

	/* The boot display: the firmware console is on it too. */
	assert_int_equal(fake_sysfs_write(f->root, "sys/devices/pci0000:00/0000:01:00.0/boot_vga", "1\n"), 0);
	c = run(f, "gpu");
	assert_int_equal(c->status, IOMMU_CHECK_WARN);
	assert_string_equal(c->message, NV ": host driver nouveau holds it, and it is the boot display (boot_vga=1): "
					"the host's firmware console/efifb uses it");
	assert_has(c->hint, "vfio-pci.ids=10de:1b80,10de:10f0");
	assert_has(c->hint, "; keep the host console off the boot display (video=efifb:off, or another primary GPU");

	/* boot_vga=0 is not the boot display */
	assert_int_equal(fake_sysfs_write(f->root, "sys/devices/pci0000:00/0000:01:00.0/boot_vga", "0\n"), 0);
	assert_string_equal(run(f, "gpu")->message, NV ": host driver nouveau holds it");
}

static void test_gpu_identity_domain(void **state)
{
	struct fixture *f = *state;
	const struct iommu_check *c;

	add_gpu(f, &gpu_nv);
	assert_int_equal(fake_sysfs_write(f->root, "sys/kernel/iommu_groups/3/type", "identity\n"), 0);
	c = run(f, "gpu");
	assert_int_equal(c->status, IOMMU_CHECK_WARN);
	assert_string_equal(c->message, NV ": IOMMU group 3 is identity (iommu=pt): host DMA is untranslated, not "
					"confined by the IOMMU (passthrough still works: vfio gives the group its own "
					"domain)");
	assert_string_equal(c->hint, "iommu=pt trades the host's DMA isolation for speed: boot without it if host "
				     "devices should stay confined");
}

static void test_gpu_no_group(void **state)
{
	struct fixture *f = *state;
	static const struct fake_pci vga = { .bdf = "0000:00:02.0", .vendor = 0x8086, .device = 0x3e92,
					     .class_code = 0x030000, .group = -1, .driver = "i915" };
	const struct iommu_check *c;

	assert_int_equal(fake_sysfs_add_pci(f->root, &vga), 0);
	c = run(f, "gpu");
	assert_int_equal(c->status, IOMMU_CHECK_WARN);
	assert_string_equal(c->message, "0000:00:02.0 Intel Corporation CoffeeLake-S GT2 [UHD Graphics 630]: no IOMMU "
					"group, so it cannot be passed through; no FLR or bus reset (no reset_method); "
					"host driver i915 holds it");
	assert_has(c->hint, "turn the IOMMU on (see the iommu check)");
	assert_has(c->hint, "vfio-pci.ids=8086:3e92 ");
}

/* A desktop: an AMD RX 580 with every problem (shared group, no reset,
 * amdgpu, boot display, identity domain) and an Intel iGPU on i915 without
 * reset. Every finding of both, in one line; every fix in the hint. */
static void test_gpu_everything(void **state)
{
	struct fixture *f = *state;
	static const struct fake_pci devs[] = {
		{ .bdf = "0000:00:02.0", .vendor = 0x8086, .device = 0x3e92, .class_code = 0x030000, .group = 2,
		  .driver = "i915", .reset_method = "pm" },
		{ .bdf = "0000:03:00.0", .vendor = 0x1002, .device = 0x67df, .class_code = 0x030000, .group = 9,
		  .driver = "amdgpu", .boot_vga = true },
		{ .bdf = "0000:03:00.1", .vendor = 0x1002, .device = 0xaaf0, .class_code = 0x040300, .group = 9,
		  .driver = "snd_hda_intel" },
		{ .bdf = "0000:04:00.0", .vendor = 0x8086, .device = 0xa36d, .class_code = 0x0c0330, .group = 9,
		  .driver = "xhci_hcd", .flr = true },
		{ .bdf = "0000:05:00.0", .vendor = 0x8086, .device = 0x10c9, .class_code = 0x020000, .group = 9,
		  .flr = true },
	};
	const struct iommu_check *c;

	make_lab(f);
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		assert_int_equal(fake_sysfs_add_pci(f->root, &devs[i]), 0);
	assert_int_equal(fake_sysfs_write(f->root, "sys/kernel/iommu_groups/9/type", "identity\n"), 0);
	assert_int_equal(fake_sysfs_write(f->root, "sys/kernel/iommu_groups/2/type", "DMA\n"), 0);
	c = run(f, "gpu");
	assert_int_equal(c->status, IOMMU_CHECK_WARN);
	assert_string_equal(c->message,
		"0000:00:02.0 Intel Corporation CoffeeLake-S GT2 [UHD Graphics 630]: no FLR or bus reset "
		"(reset_method: pm); host driver i915 holds it"
		" | 0000:03:00.0 Advanced Micro Devices, Inc. [AMD/ATI] Ellesmere [Radeon RX 470/480/570/570X/580/580X/590]: "
		"shares IOMMU group 9 with 0000:04:00.0 (xhci_hcd), 0000:05:00.0 (no driver): they can only go to a "
		"guest together; no FLR or bus reset (no reset_method; AMD GPUs: the known reset bug); host driver "
		"amdgpu holds it, and it is the boot display (boot_vga=1): the host's firmware console/efifb uses it; "
		"IOMMU group 9 is identity (iommu=pt): host DMA is untranslated, not confined by the IOMMU "
		"(passthrough still works: vfio gives the group its own domain)");
	assert_string_equal(c->hint,
		"bind it to vfio-pci before the host driver does: vfio-pci.ids=8086:3e92,1002:67df,1002:aaf0 on the "
		"kernel command line, or partvm vfio bind 0000:00:02.0 0000:03:00.0 0000:03:00.1; keep the host console "
		"off the boot display (video=efifb:off, or another primary GPU in the firmware setup); use a slot with "
		"its own IOMMU group, or pass the whole group (partvm vfio bind --group); load vendor-reset for AMD "
		"GPUs; otherwise reboot the host before another guest gets the card; iommu=pt trades the host's DMA "
		"isolation for speed: boot without it if host devices should stay confined");
}

/* More GPUs than one line holds: whole entries, then how many are left. */
static void test_gpu_many_cut_cleanly(void **state)
{
	struct fixture *f = *state;
	static const char entry_end[] = "the known reset bug); host driver amdgpu holds it";
	const struct iommu_check *c;
	const char *more;
	int shown = 0, rest = 0;
	char bdf[16];

	make_lab(f);
	for (int i = 0; i < 12; i++) {
		struct fake_pci gpu = { .bdf = bdf, .vendor = 0x1002, .device = 0x67df, .class_code = 0x030000,
					.group = 20 + i, .driver = "amdgpu" };
		snprintf(bdf, sizeof(bdf), "0000:%02x:00.0", 0x10 + i);
		assert_int_equal(fake_sysfs_add_pci(f->root, &gpu), 0);
	}
	c = run(f, "gpu");
	assert_int_equal(c->status, IOMMU_CHECK_WARN);
	assert_true(strlen(c->message) < sizeof(c->message) - 1);
	assert_true(!strncmp(c->message, "0000:10:00.0 Advanced Micro Devices", 35));
	/* Each shown entry is whole; the count of the rest ends the line. */
	for (const char *s = c->message; (s = strstr(s, entry_end)); s++)
		shown++;
	more = strstr(c->message, " | and ");
	assert_non_null(more);
	assert_true(!strncmp(more - strlen(entry_end), entry_end, strlen(entry_end)));
	assert_int_equal(sscanf(more, " | and %d more display controller(s) with findings", &rest), 1);
	assert_true(shown > 1 && rest > 0);
	assert_int_equal(shown + rest, 12);
	assert_string_equal(strchr(more, ')') + 1, " with findings");
	/* the fix names the ID once, and says its list of BDFs is cut */
	assert_has(c->hint, "vfio-pci.ids=1002:67df on the kernel command line, or partvm vfio bind 0000:10:00.0 "
			    "0000:11:00.0 ");
	assert_has(c->hint, " ...; load vendor-reset for AMD GPUs");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_no_iommu_fails_naming_it),
		T(test_firmware_on_kernel_off),
		T(test_lab_like_host),
		T(test_unsafe_interrupts_and_loadable_vfio),
		T(test_groups_and_resets),
		T(test_gpu_none),
		T(test_gpu_clean),
		T(test_gpu_shares_group),
		T(test_gpu_no_reset),
		T(test_gpu_host_driver),
		T(test_gpu_identity_domain),
		T(test_gpu_no_group),
		T(test_gpu_everything),
		T(test_gpu_many_cut_cleanly),
	};
	return cmocka_run_group_tests_name("iommu_hostcheck", tests, NULL, NULL);
}
