// SPDX-License-Identifier: GPL-2.0-only
/*
 * partvm host check on fake hosts: a development machine without IOMMU
 * (FAIL naming the IOMMU), a lab-like host (all PASS but hugepages),
 * unsafe interrupts, ACS override, a group shared with the root disk and
 * an AMD GPU without reset.
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

	assert_int_equal(n, 7);
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

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_no_iommu_fails_naming_it),
		T(test_firmware_on_kernel_off),
		T(test_lab_like_host),
		T(test_unsafe_interrupts_and_loadable_vfio),
		T(test_groups_and_resets),
	};
	return cmocka_run_group_tests_name("iommu_hostcheck", tests, NULL, NULL);
}
