// SPDX-License-Identifier: GPL-2.0-only
/*
 * Viability verdicts, device descriptions (libpci names and capabilities)
 * and in-use detection, on a fake host shaped like a small server: a host
 * bridge, a root port with a NIC behind it, an LPC/SATA/SMBus group, an
 * SR-IOV NIC with a VF, the edu device, a boot VGA with an open DRM node,
 * an NVMe disk with a mounted filesystem and the root disk.
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
#include "iommu/iommu_json.h"

#define IFF_UP_FLAG 0x1

static const struct fake_pci host[] = {
	{ .bdf = "0000:00:00.0", .vendor = 0x8086, .device = 0x29c0, .class_code = 0x060000, .group = 0 },
	{ .bdf = "0000:00:01.0", .vendor = 0x1b36, .device = 0x000c, .class_code = 0x060400, .group = 1,
	  .driver = "pcieport", .bridge = true },
	{ .bdf = "0000:01:00.0", .vendor = 0x8086, .device = 0x10d3, .class_code = 0x020000, .group = 1,
	  .driver = "e1000e", .flr = true },
	{ .bdf = "0000:00:1f.0", .vendor = 0x8086, .device = 0x2918, .class_code = 0x060100, .group = 2,
	  .driver = "lpc_ich" },
	{ .bdf = "0000:00:1f.2", .vendor = 0x8086, .device = 0x2922, .class_code = 0x010601, .group = 2,
	  .driver = "ahci" },
	{ .bdf = "0000:00:1f.3", .vendor = 0x8086, .device = 0x2930, .class_code = 0x0c0500, .group = 2,
	  .driver = "vfio-pci" },
	{ .bdf = "0000:00:02.0", .vendor = 0x8086, .device = 0x10c9, .class_code = 0x020000, .group = 3,
	  .driver = "igb", .total_vfs = 7, .flr = true, .acs = true, .reset_method = "flr bus",
	  .netdev = "pvfake0", .netdev_flags = IFF_UP_FLAG },
	{ .bdf = "0000:00:12.0", .vendor = 0x8086, .device = 0x10ca, .class_code = 0x020000, .group = 5,
	  .driver = "igbvf", .physfn = "0000:00:02.0", .flr = true, .reset_method = "flr",
	  .netdev = "pvfake1", .netdev_flags = 0 },
	{ .bdf = "0000:00:03.0", .vendor = 0x1234, .device = 0x11e8, .class_code = 0x00ff00, .group = 6 },
	{ .bdf = "0000:00:04.0", .vendor = 0x1234, .device = 0x1111, .class_code = 0x030000, .group = 7,
	  .driver = "bochs-drm", .boot_vga = true },
	{ .bdf = "0000:00:05.0", .vendor = 0x1b36, .device = 0x0010, .class_code = 0x010802, .group = 8,
	  .driver = "nvme", .flr = true },
	{ .bdf = "0000:00:06.0", .vendor = 0x1af4, .device = 0x1042, .class_code = 0x010000, .group = 9,
	  .driver = "virtio-pci" },
	{ .bdf = "0000:00:1c.0", .vendor = 0x1b36, .device = 0x000c, .class_code = 0x060400, .group = 10,
	  .driver = "pcieport", .bridge = true },
	{ .bdf = "0000:02:00.0", .vendor = 0x8086, .device = 0x10d3, .class_code = 0x020000, .group = 10 },
	{ .bdf = "0000:00:07.0", .vendor = 0x8086, .device = 0x10d3, .class_code = 0x020000, .group = -1,
	  .driver = "e1000e" },
	{ .bdf = "0000:00:09.0", .vendor = 0x1af4, .device = 0x1009, .class_code = 0x000200, .group = 13,
	  .driver = "virtio-pci" },
};

struct fixture {
	char *root;
	struct iommu_host h;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->root = fake_sysfs_create();
	assert_non_null(f->root);
	for (size_t i = 0; i < sizeof(host) / sizeof(host[0]); i++)
		assert_int_equal(fake_sysfs_add_pci(f->root, &host[i]), 0);

	/* boot VGA with its DRM node open by a compositor */
	assert_int_equal(fake_sysfs_write(f->root, "sys/devices/pci0000:00/0000:00:04.0/drm/card0/dev", "226:0\n"), 0);
	assert_int_equal(fake_sysfs_write(f->root, "proc/4242/comm", "kwin_wayland\n"), 0);
	assert_int_equal(fake_sysfs_link(f->root, "proc/4242/fd/17", "/dev/dri/card0"), 0);
	assert_int_equal(fake_sysfs_link(f->root, "proc/4242/fd/18", "/dev/null"), 0);

	/* nvme0n1 mounted on /data; vda is the root filesystem */
	assert_int_equal(fake_sysfs_write(f->root,
		"sys/devices/pci0000:00/0000:00:05.0/nvme/nvme0/nvme0n1/dev", "259:0\n"), 0);
	assert_int_equal(fake_sysfs_write(f->root,
		"sys/devices/pci0000:00/0000:00:05.0/nvme/nvme0/nvme0n1/holders/.keep", ""), 0);
	assert_int_equal(fake_sysfs_link(f->root, "sys/class/block/nvme0n1",
		"../../devices/pci0000:00/0000:00:05.0/nvme/nvme0/nvme0n1"), 0);
	assert_int_equal(fake_sysfs_write(f->root,
		"sys/devices/pci0000:00/0000:00:06.0/virtio1/block/vda/dev", "254:0\n"), 0);
	assert_int_equal(fake_sysfs_link(f->root, "sys/class/block/vda",
		"../../devices/pci0000:00/0000:00:06.0/virtio1/block/vda"), 0);
	assert_int_equal(fake_sysfs_link(f->root, "sys/dev/block/254:0",
		"../../devices/pci0000:00/0000:00:06.0/virtio1/block/vda"), 0);
	assert_int_equal(fake_sysfs_write(f->root, "proc/self/mountinfo",
		"26 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
		"21 26 0:20 / /proc rw,relatime - proc proc rw\n"
		"40 26 259:0 / /data rw,relatime shared:5 - xfs /dev/nvme0n1 rw\n"
		"41 26 0:44 / /srv/share rw,relatime - 9p s1 rw,trans=virtio\n"), 0);
	/* a virtio-9p share, as the lab mounts its checkout */
	assert_int_equal(fake_sysfs_write(f->root, "sys/devices/pci0000:00/0000:00:09.0/virtio3/mount_tag", "s1"), 0);
	assert_int_equal(fake_sysfs_link(f->root, "sys/bus/virtio/devices/virtio3",
		"../../../devices/pci0000:00/0000:00:09.0/virtio3"), 0);

	assert_int_equal(iommu_host_init(&f->h), 0);
	snprintf(f->h.root, sizeof(f->h.root), "%s", f->root);
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

static void test_viability_bridge_does_not_count(void **state)
{
	struct fixture *f = *state;
	struct iommu_viability v;

	/* Root port on pcieport + NIC on e1000e: only the NIC blocks. */
	assert_int_equal(iommu_group_viability(&f->h, 1, &v), 0);
	assert_false(v.viable);
	assert_int_equal(v.ndevices, 2);
	assert_int_equal(v.nblockers, 1);
	assert_string_equal(v.blockers[0].bdf, "0000:01:00.0");
	assert_string_equal(v.blockers[0].driver, "e1000e");

	/* Root port on pcieport + an endpoint without a driver: viable. */
	assert_int_equal(iommu_group_viability(&f->h, 10, &v), 0);
	assert_true(v.viable);
	assert_int_equal(v.ndevices, 2);
	assert_int_equal(v.nblockers, 0);
}

static void test_viability_mixed_group(void **state)
{
	struct fixture *f = *state;
	struct iommu_viability v;

	/* LPC on lpc_ich, SATA on ahci, SMBus already on vfio-pci. */
	assert_int_equal(iommu_group_viability(&f->h, 2, &v), 0);
	assert_false(v.viable);
	assert_int_equal(v.ndevices, 3);
	assert_int_equal(v.nblockers, 2);
	assert_string_equal(v.blockers[0].bdf, "0000:00:1f.0");
	assert_string_equal(v.blockers[0].driver, "lpc_ich");
	assert_string_equal(v.blockers[1].bdf, "0000:00:1f.2");
	assert_string_equal(v.blockers[1].driver, "ahci");
}

static void test_viability_no_driver(void **state)
{
	struct fixture *f = *state;
	struct iommu_viability v;

	assert_int_equal(iommu_group_viability(&f->h, 6, &v), 0);
	assert_true(v.viable);
	assert_int_equal(v.ndevices, 1);
	assert_int_equal(iommu_group_viability(&f->h, 42, &v), -ENOENT);
}

static void test_group_list(void **state)
{
	struct fixture *f = *state;
	static const int want[] = { 0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 13 };
	int *ids = NULL;
	int n = iommu_group_list(&f->h, &ids);

	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (int i = 0; i < n; i++)
		assert_int_equal(ids[i], want[i]);
	free(ids);
}

static void test_describe_pf_and_vf(void **state)
{
	struct fixture *f = *state;
	struct iommu_device d;
	char label[256];

	assert_int_equal(iommu_device_read(&f->h, "0000:00:02.0", &d), 0);
	assert_string_equal(d.vendor, "Intel Corporation");
	assert_string_equal(d.device, "82576 Gigabit Network Connection");
	assert_string_equal(d.class_name, "Ethernet controller");
	assert_int_equal(d.vendor_id, 0x8086);
	assert_int_equal(d.device_id, 0x10c9);
	assert_int_equal(d.group, 3);
	assert_string_equal(d.driver, "igb");
	assert_string_equal(d.reset_methods, "flr bus");
	assert_true(d.flr);
	assert_true(d.acs);
	assert_true(d.sriov_pf);
	assert_false(d.sriov_vf);
	assert_int_equal(d.total_vfs, 7);
	assert_false(d.bridge);

	assert_int_equal(iommu_device_read(&f->h, "0000:00:12.0", &d), 0);
	assert_string_equal(d.device, "82576 Virtual Function");
	assert_true(d.sriov_vf);
	assert_false(d.sriov_pf);
	assert_string_equal(d.physfn, "0000:00:02.0");
	assert_false(d.acs);
	assert_false(d.in_use); /* its interface is down */

	/* edu is not in pci.ids: no name, a numeric label. */
	assert_int_equal(iommu_device_read(&f->h, "0000:00:03.0", &d), 0);
	assert_string_equal(d.vendor, "");
	assert_string_equal(d.driver, "");
	assert_false(d.flr);
	iommu_device_label(&d, label, sizeof(label));
	assert_string_equal(label, "[1234:11e8]");

	assert_int_equal(iommu_device_read(&f->h, "0000:00:01.0", &d), 0);
	assert_true(d.bridge);
	assert_string_equal(d.device, "QEMU PCIe Root port");
	assert_int_equal(iommu_device_read(&f->h, "0000:00:00.0", &d), 0);
	assert_true(d.host_bridge);
	assert_int_equal(iommu_device_read(&f->h, "0000:00:07.0", &d), 0);
	assert_int_equal(d.group, -1);

	assert_int_equal(iommu_device_read(&f->h, "0000:00:1e.0", &d), -ENODEV);
}

static void test_in_use(void **state)
{
	struct fixture *f = *state;
	char why[256];

	assert_int_equal(iommu_device_usage(&f->h, "0000:00:02.0", why, sizeof(why)), 1);
	assert_string_equal(why, "network interface pvfake0 is up");

	assert_int_equal(iommu_device_usage(&f->h, "0000:00:04.0", why, sizeof(why)), 1);
	assert_string_equal(why, "boot VGA device (the host console); "
				 "DRM device card0 is open by pid 4242 (kwin_wayland)");

	assert_int_equal(iommu_device_usage(&f->h, "0000:00:05.0", why, sizeof(why)), 1);
	assert_string_equal(why, "block device nvme0n1 is mounted on /data");

	assert_int_equal(iommu_device_usage(&f->h, "0000:00:06.0", why, sizeof(why)), 1);
	assert_string_equal(why, "holds the root filesystem; block device vda is mounted on /");

	assert_int_equal(iommu_device_usage(&f->h, "0000:00:09.0", why, sizeof(why)), 1);
	assert_string_equal(why, "virtio-9p share s1 is mounted on /srv/share");

	assert_int_equal(iommu_device_usage(&f->h, "0000:00:03.0", why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(iommu_device_usage(&f->h, "0000:00:12.0", why, sizeof(why)), 0);
	/* 0000:00:00.0 has no "/0000:00:00.0" prefix clash with 0000:00:00.0x */
	assert_int_equal(iommu_device_usage(&f->h, "0000:00:00.0", why, sizeof(why)), 0);
}

static void test_held_disk(void **state)
{
	struct fixture *f = *state;
	char why[256];

	/* A disk that is a dm/md member is in use even when not mounted. */
	assert_int_equal(fake_sysfs_write(f->root, "proc/self/mountinfo", ""), 0);
	assert_int_equal(fake_sysfs_write(f->root,
		"sys/devices/pci0000:00/0000:00:05.0/nvme/nvme0/nvme0n1/holders/dm-0", ""), 0);
	assert_int_equal(iommu_device_usage(&f->h, "0000:00:05.0", why, sizeof(why)), 1);
	assert_string_equal(why, "block device nvme0n1 is held by dm-0");
	assert_int_equal(fake_sysfs_write(f->root, "proc/swaps",
		"Filename\tType\tSize\tUsed\tPriority\n/dev/vda\tpartition\t1024\t0\t-2\n"), 0);
	assert_int_equal(iommu_device_usage(&f->h, "0000:00:06.0", why, sizeof(why)), 1);
	assert_string_equal(why, "block device vda is used as swap");
}

/* The documented JSON shape (version 1), field for field. */
static void test_json_shape(void **state)
{
	struct fixture *f = *state;
	struct iommu_record held = { .bdf = "0000:00:12.0", .driver = "igbvf", .owner = "web", .pid = 777 };
	struct iommu_viability v;
	struct iommu_device d;
	struct json_object *o, *g;

	assert_int_equal(iommu_device_read(&f->h, "0000:00:12.0", &d), 0);
	o = iommu_device_to_json(&d, &held);
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
		"{\"bdf\":\"0000:00:12.0\",\"vendor_id\":\"8086\",\"device_id\":\"10ca\",\"class_id\":\"020000\","
		"\"vendor\":\"Intel Corporation\",\"device\":\"82576 Virtual Function\",\"class\":\"Ethernet controller\","
		"\"iommu_group\":5,\"driver\":\"igbvf\",\"driver_override\":null,\"reset_methods\":[\"flr\"],"
		"\"flr\":true,\"acs\":false,\"bridge\":false,\"sriov\":{\"role\":\"vf\",\"physfn\":\"0000:00:02.0\"},"
		"\"in_use\":false,\"in_use_reason\":null,"
		"\"held_by\":{\"partition\":\"web\",\"pid\":777,\"original_driver\":\"igbvf\"}}");
	json_object_put(o);

	assert_int_equal(iommu_device_read(&f->h, "0000:00:02.0", &d), 0);
	assert_int_equal(iommu_group_viability(&f->h, 3, &v), 0);
	struct json_object *arr = json_object_new_array();
	o = iommu_device_to_json(&d, NULL);
	json_object_array_add(arr, o);
	g = iommu_group_to_json(3, &v, "/dev/vfio/3", arr);
	assert_string_equal(json_object_to_json_string_ext(json_object_object_get(g, "blockers"), JSON_C_TO_STRING_PLAIN),
			    "[{\"bdf\":\"0000:00:02.0\",\"driver\":\"igb\"}]");
	assert_false(json_object_get_boolean(json_object_object_get(g, "viable")));
	assert_string_equal(json_object_to_json_string_ext(json_object_object_get(o, "sriov"), JSON_C_TO_STRING_PLAIN),
			    "{\"role\":\"pf\",\"num_vfs\":0,\"total_vfs\":7}");
	assert_string_equal(json_object_get_string(json_object_object_get(o, "in_use_reason")),
			    "network interface pvfake0 is up");
	json_object_put(g);
}

static void test_list(void **state)
{
	struct fixture *f = *state;
	struct iommu_device *devs = NULL;
	int n = iommu_device_list(&f->h, &devs);

	assert_int_equal(n, sizeof(host) / sizeof(host[0]));
	assert_string_equal(devs[0].bdf, "0000:00:00.0");
	assert_string_equal(devs[n - 1].bdf, "0000:02:00.0");
	for (int i = 1; i < n; i++)
		assert_true(strcmp(devs[i - 1].bdf, devs[i].bdf) < 0);
	free(devs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_viability_bridge_does_not_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_viability_mixed_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_viability_no_driver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_describe_pf_and_vf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
	};
	return cmocka_run_group_tests_name("iommu_groups", tests, NULL, NULL);
}
