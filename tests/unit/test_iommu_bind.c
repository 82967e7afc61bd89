// SPDX-License-Identifier: GPL-2.0-only
/*
 * Managed binding against a fake kernel: sysfs_write() is wrapped so that
 * writes to driver_override, drivers/X/{bind,unbind} and drivers_probe act
 * on the fake tree as the PCI core would, and so that the k-th write can be
 * made to fail. The claim under test: whatever step fails, the tree is left
 * exactly as it was, file by file.
 */
// LDFLAGS: -Wl,--wrap=sysfs_write
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/util/sysfs.h"
#include "fake_sysfs.h"
#include "iommu/iommu.h"

/* The fake kernel's knobs; __wrap_sysfs_write has no user pointer. */
static struct {
	int writes;            /* sysfs writes so far */
	int fail_at;           /* make this write fail with -EIO (0: never) */
	const char *no_probe;  /* drivers_probe "succeeds" but binds nothing */
} fk;

int __real_sysfs_write(const char *root, const char *path, const char *value);

static void at(char *buf, size_t len, const char *root, const char *fmt, const char *a, const char *b)
{
	char rel[PATH_MAX];
	snprintf(rel, sizeof(rel), fmt, a, b);
	assert_true(snprintf(buf, len, "%s%s", root, rel) < (int)len);
}

static bool exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

static int group_of(const char *root, const char *bdf)
{
	char p[PATH_MAX], t[PATH_MAX];
	ssize_t n;

	at(p, sizeof(p), root, "/sys/bus/pci/devices/%s/iommu_group%s", bdf, "");
	n = readlink(p, t, sizeof(t) - 1);
	assert_true(n > 0);
	t[n] = '\0';
	return atoi(strrchr(t, '/') + 1);
}

/* The PCI core: a bound driver is the device's "driver" link; binding
 * vfio-pci creates the group's /dev/vfio node, the last unbind removes it. */
static int attach(const char *root, const char *bdf, const char *drv)
{
	char link[PATH_MAX], target[PATH_MAX], node[PATH_MAX];
	FILE *f;

	at(link, sizeof(link), root, "/sys/bus/pci/devices/%s/driver%s", bdf, "");
	if (exists(link))
		return -EBUSY;
	snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", drv);
	assert_int_equal(symlink(target, link), 0);
	if (!strcmp(drv, "vfio-pci")) {
		snprintf(node, sizeof(node), "%s/dev/vfio/%d", root, group_of(root, bdf));
		f = fopen(node, "w");
		assert_non_null(f);
		fclose(f);
	}
	return 0;
}

static int detach(const char *root, const char *bdf, const char *drv)
{
	char link[PATH_MAX], target[PATH_MAX], node[PATH_MAX];
	ssize_t n;

	at(link, sizeof(link), root, "/sys/bus/pci/devices/%s/driver%s", bdf, "");
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -ENODEV;
	target[n] = '\0';
	if (strcmp(strrchr(target, '/') + 1, drv) != 0)
		return -ENODEV;
	assert_int_equal(unlink(link), 0);
	if (!strcmp(drv, "vfio-pci")) {
		/* Every test group has one endpoint on vfio-pci at most. */
		snprintf(node, sizeof(node), "%s/dev/vfio/%d", root, group_of(root, bdf));
		unlink(node);
	}
	return 0;
}

static void read_override(const char *root, const char *bdf, char *buf, size_t len)
{
	char p[PATH_MAX];
	FILE *f;

	at(p, sizeof(p), root, "/sys/bus/pci/devices/%s/driver_override%s", bdf, "");
	f = fopen(p, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, (int)len, f));
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

int __wrap_sysfs_write(const char *root, const char *path, const char *value)
{
	char bdf[IOMMU_BDF_LEN], drv[64], ov[64], p[PATH_MAX];

	if (++fk.writes == fk.fail_at)
		return -EIO;
	/* %n after the literal tail: sscanf counts a conversion even when the
	 * text after it does not match. */
	int end = 0;
	if (sscanf(path, "/sys/bus/pci/devices/%12[^/]/driver_override%n", bdf, &end) == 1 && end) {
		FILE *f;
		at(p, sizeof(p), root, "%s%s", path, "");
		f = fopen(p, "w");
		assert_non_null(f);
		/* The kernel shows a cleared override as "(null)". */
		fprintf(f, "%s\n", strcmp(value, "\n") ? value : "(null)");
		fclose(f);
		return 0;
	}
	if (sscanf(path, "/sys/bus/pci/drivers/%63[^/]/unbind%n", drv, &end) == 1 && end)
		return detach(root, value, drv);
	if (sscanf(path, "/sys/bus/pci/drivers/%63[^/]/bind%n", drv, &end) == 1 && end) {
		read_override(root, value, ov, sizeof(ov));
		if (strcmp(ov, "(null)") && strcmp(ov, drv))
			return -ENODEV; /* driver_override forbids any other driver */
		return attach(root, value, drv);
	}
	if (!strcmp(path, "/sys/bus/pci/drivers_probe")) {
		read_override(root, value, ov, sizeof(ov));
		at(p, sizeof(p), root, "/sys/bus/pci/drivers/%s%s", ov, "");
		if (!strcmp(ov, "(null)") || !exists(p) || (fk.no_probe && !strcmp(fk.no_probe, value)))
			return 0; /* nothing matched: still a successful write */
		attach(root, value, ov);
		return 0;
	}
	return __real_sysfs_write(root, path, value);
}

#define IFF_UP_FLAG 0x1

static const struct fake_pci host[] = {
	{ .bdf = "0000:00:00.0", .vendor = 0x8086, .device = 0x29c0, .class_code = 0x060000, .group = 0 },
	{ .bdf = "0000:00:01.0", .vendor = 0x1b36, .device = 0x000c, .class_code = 0x060400, .group = 1,
	  .driver = "pcieport", .bridge = true },
	{ .bdf = "0000:01:00.0", .vendor = 0x8086, .device = 0x10d3, .class_code = 0x020000, .group = 1 },
	{ .bdf = "0000:00:1f.0", .vendor = 0x8086, .device = 0x2918, .class_code = 0x060100, .group = 2,
	  .driver = "lpc_ich" },
	{ .bdf = "0000:00:1f.2", .vendor = 0x8086, .device = 0x2922, .class_code = 0x010601, .group = 2,
	  .driver = "ahci" },
	{ .bdf = "0000:00:02.0", .vendor = 0x8086, .device = 0x10c9, .class_code = 0x020000, .group = 3,
	  .driver = "igb", .total_vfs = 7, .netdev = "pvfake0", .netdev_flags = IFF_UP_FLAG },
	{ .bdf = "0000:00:12.0", .vendor = 0x8086, .device = 0x10ca, .class_code = 0x020000, .group = 5,
	  .driver = "igbvf", .physfn = "0000:00:02.0" },
	{ .bdf = "0000:00:03.0", .vendor = 0x1234, .device = 0x11e8, .class_code = 0x00ff00, .group = 6 },
	{ .bdf = "0000:00:08.0", .vendor = 0x1234, .device = 0x11e8, .class_code = 0x00ff00, .group = 11,
	  .driver = "vfio-pci" },
	{ .bdf = "0000:03:00.0", .vendor = 0x8086, .device = 0x10ca, .class_code = 0x020000, .group = 12 },
	{ .bdf = "0000:03:00.1", .vendor = 0x8086, .device = 0x10ca, .class_code = 0x020000, .group = 12 },
	{ .bdf = "0000:00:07.0", .vendor = 0x8086, .device = 0x10d3, .class_code = 0x020000, .group = -1,
	  .driver = "e1000e" },
};

struct fixture {
	char *root;
	struct iommu_host h;
	char *before;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int lock;

	memset(&fk, 0, sizeof(fk));
	f->root = fake_sysfs_create();
	assert_non_null(f->root);
	for (size_t i = 0; i < sizeof(host) / sizeof(host[0]); i++)
		assert_int_equal(fake_sysfs_add_pci(f->root, &host[i]), 0);
	assert_int_equal(fake_sysfs_add_driver(f->root, "vfio-pci"), 0);
	assert_int_equal(iommu_host_init(&f->h), 0);
	snprintf(f->h.root, sizeof(f->h.root), "%s", f->root);
	assert_true(snprintf(f->h.state_dir, sizeof(f->h.state_dir), "%s/run/partvm/vfio", f->root) <
		    (int)sizeof(f->h.state_dir));
	/* The lock file is created once and stays; take it out of the diff. */
	lock = iommu_state_lock(&f->h);
	assert_true(lock >= 0);
	close(lock);
	f->before = fake_sysfs_snapshot(f->root);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fake_sysfs_destroy(f->root);
	free(f->before);
	free(f);
	return 0;
}

static void assert_unchanged(const struct fixture *f)
{
	char *now = fake_sysfs_snapshot(f->root);
	assert_string_equal(now, f->before);
	free(now);
}

static void driver_is(const struct fixture *f, const char *bdf, const char *want)
{
	struct iommu_device d;

	assert_int_equal(iommu_device_read(&f->h, bdf, &d), 0);
	assert_string_equal(d.driver, want);
}

static void set_proc(const struct fixture *f, int pid, unsigned long long start)
{
	char rel[64], stat[256];

	snprintf(rel, sizeof(rel), "proc/%d/stat", pid);
	snprintf(stat, sizeof(stat), "%d (partvm) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %llu 0 0\n", pid, start);
	assert_int_equal(fake_sysfs_write(f->root, rel, stat), 0);
}

static void kill_proc(const struct fixture *f, int pid)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/proc/%d/stat", f->root, pid);
	assert_int_equal(unlink(p), 0);
	snprintf(p, sizeof(p), "%s/proc/%d", f->root, pid);
	assert_int_equal(rmdir(p), 0);
}

static int bind(struct fixture *f, const char *const *bdfs, size_t n, const char *owner, int pid,
		unsigned flags, struct iommu_bound *out, size_t max, struct iommu_problem *why)
{
	struct iommu_owner o = { .name = owner, .pid = pid };
	return iommu_bind_devices(&f->h, bdfs, n, &o, flags, out, max, why);
}

static void test_bind_and_restore_vf(void **state)
{
	struct fixture *f = *state;
	const char *bdfs[] = { "00:12.0" };
	struct iommu_bound out[4];
	struct iommu_problem why;
	struct iommu_record rec;
	struct iommu_group_info gi;
	char ov[64], node[PATH_MAX];

	assert_int_equal(bind(f, bdfs, 1, NULL, 0, 0, out, 4, &why), 1);
	assert_string_equal(out[0].bdf, "0000:00:12.0");
	assert_int_equal(out[0].outcome, IOMMU_BIND_BOUND);
	assert_string_equal(out[0].orig_driver, "igbvf");
	assert_int_equal(out[0].group, 5);
	driver_is(f, "0000:00:12.0", "vfio-pci");
	read_override(f->root, "0000:00:12.0", ov, sizeof(ov));
	assert_string_equal(ov, "vfio-pci");
	snprintf(node, sizeof(node), "%s/dev/vfio/5", f->root);
	assert_true(exists(node));

	assert_int_equal(iommu_record_load(&f->h, "0000:00:12.0", &rec), 0);
	assert_string_equal(rec.driver, "igbvf");
	assert_string_equal(rec.driver_override, "");
	assert_string_equal(rec.owner, "");
	assert_int_equal(rec.pid, 0);

	assert_int_equal(iommu_query_device(&f->h, "0000:00:12.0", &gi), 0);
	assert_int_equal(gi.group, 5);
	assert_string_equal(gi.vfio_path, node);
	assert_true(gi.viability.viable);
	assert_true(gi.held);
	assert_false(gi.holder_alive);

	assert_int_equal(iommu_restore_device(&f->h, "0000:00:12.0", false, &why), 0);
	driver_is(f, "0000:00:12.0", "igbvf");
	assert_unchanged(f);
	/* Nothing left to restore. */
	assert_int_equal(iommu_restore_device(&f->h, "0000:00:12.0", false, &why), -ENOENT);
	assert_int_equal(why.kind, IOMMU_PROBLEM_NOT_HELD);
}

static void test_bind_unbound_device_restores_to_none(void **state)
{
	struct fixture *f = *state;
	const char *bdfs[] = { "0000:00:03.0" };
	struct iommu_bound out[1];
	struct iommu_problem why;

	assert_int_equal(bind(f, bdfs, 1, NULL, 0, 0, out, 1, &why), 1);
	driver_is(f, "0000:00:03.0", "vfio-pci");
	assert_string_equal(out[0].orig_driver, "");
	assert_int_equal(iommu_restore_device(&f->h, "0000:00:03.0", false, &why), 0);
	driver_is(f, "0000:00:03.0", "");
	assert_unchanged(f);
}

static void test_already_bound_is_left_alone(void **state)
{
	struct fixture *f = *state;
	const char *bdfs[] = { "0000:00:08.0" };
	struct iommu_bound out[1];
	struct iommu_problem why;

	assert_int_equal(bind(f, bdfs, 1, NULL, 0, 0, out, 1, &why), 1);
	assert_int_equal(out[0].outcome, IOMMU_BIND_ALREADY);
	assert_int_equal(fk.writes, 0);
	assert_unchanged(f);
}

static void expect_refusal(struct fixture *f, const char *bdf, enum iommu_problem_kind kind,
			   const char *want_line)
{
	const char *bdfs[] = { bdf };
	struct iommu_bound out[4];
	struct iommu_problem why;
	char line[1024];

	assert_true(bind(f, bdfs, 1, NULL, 0, 0, out, 4, &why) < 0);
	assert_int_equal(why.kind, kind);
	iommu_format_problem(&why, line, sizeof(line));
	assert_string_equal(line, want_line);
	assert_int_equal(fk.writes, 0);
	assert_unchanged(f);
}

static void test_refusals(void **state)
{
	struct fixture *f = *state;

	expect_refusal(f, "00:12", IOMMU_PROBLEM_BAD_BDF,
		       "'00:12' is not a PCI address; write DDDD:BB:DD.F or BB:DD.F, e.g. 0000:00:12.0");
	expect_refusal(f, "0000:00:1e.0", IOMMU_PROBLEM_NO_DEVICE,
		       "0000:00:1e.0: no such PCI device; see 'partvm devices' for the PCI devices of this host");
	expect_refusal(f, "00:07.0", IOMMU_PROBLEM_NO_GROUP,
		       "0000:00:07.0 (Intel Corporation 82574L Gigabit Network Connection): has no IOMMU group, "
		       "so the IOMMU is off; enable VT-d/AMD-Vi in the firmware and boot with intel_iommu=on or "
		       "amd_iommu=on; see 'partvm host check'");
	expect_refusal(f, "00:01.0", IOMMU_PROBLEM_BRIDGE,
		       "0000:00:01.0 (Red Hat, Inc. QEMU PCIe Root port): is a PCI bridge or root port "
		       "(class 060400), not a device to pass through; pass through the endpoints behind it instead");
	expect_refusal(f, "00:00.0", IOMMU_PROBLEM_BRIDGE,
		       "0000:00:00.0 (Intel Corporation 82G33/G31/P35/P31 Express DRAM Controller): is a host "
		       "bridge (class 060000), not a device to pass through; pass through the endpoints behind it "
		       "instead");
	expect_refusal(f, "00:02.0", IOMMU_PROBLEM_IN_USE,
		       "0000:00:02.0 (Intel Corporation 82576 Gigabit Network Connection): in use by the host: "
		       "network interface pvfake0 is up; stop the host from using it first");
	expect_refusal(f, "00:1f.2", IOMMU_PROBLEM_NOT_VIABLE,
		       "0000:00:1f.2 (Intel Corporation 82801IR/IO/IH (ICH9R/DO/DH) 6 port SATA Controller "
		       "[AHCI mode]): its IOMMU group 2 would not be viable: it shares it with 0000:00:1f.0 "
		       "Intel Corporation 82801IB (ICH9) LPC Interface Controller on lpc_ich; add --group to bind "
		       "the whole group, or unbind those devices first");
}

static void test_group_flag_binds_the_group(void **state)
{
	struct fixture *f = *state;
	const char *bdfs[] = { "0000:00:1f.2" };
	struct iommu_bound out[4];
	struct iommu_problem why;
	unsigned ok = 0, bad = 0;

	assert_int_equal(bind(f, bdfs, 1, NULL, 0, IOMMU_BIND_GROUP, out, 4, &why), 2);
	assert_string_equal(out[0].bdf, "0000:00:1f.2");
	assert_string_equal(out[1].bdf, "0000:00:1f.0");
	assert_string_equal(out[1].orig_driver, "lpc_ich");
	driver_is(f, "0000:00:1f.0", "vfio-pci");
	driver_is(f, "0000:00:1f.2", "vfio-pci");
	/* --group on a root port's group leaves the bridge alone. */
	const char *behind[] = { "0000:01:00.0" };
	assert_int_equal(bind(f, behind, 1, NULL, 0, IOMMU_BIND_GROUP, out, 4, &why), 1);
	driver_is(f, "0000:00:01.0", "pcieport");

	assert_int_equal(iommu_restore_owner(&f->h, NULL, false, &ok, &bad, &why), 3);
	assert_int_equal(ok, 3);
	assert_int_equal(bad, 0);
	driver_is(f, "0000:00:1f.0", "lpc_ich");
	driver_is(f, "0000:00:1f.2", "ahci");
	assert_unchanged(f);
}

/* The set used for fault injection: a device with a driver, one without,
 * one already on vfio-pci. */
static const char *const txn_set[] = { "0000:00:12.0", "0000:00:03.0", "0000:00:08.0", "0000:01:00.0" };

static void test_fault_at_every_step_leaves_tree_as_it_was(void **state)
{
	struct fixture *f = *state;
	struct iommu_bound out[8];
	struct iommu_problem why;
	int total;

	/* A clean run counts the writes of a successful transaction. */
	assert_int_equal(bind(f, txn_set, 4, NULL, 0, 0, out, 8, &why), 4);
	total = fk.writes;
	/* Three devices to move (override, probe; the VF also an unbind). */
	assert_int_equal(total, 7);
	assert_int_equal(iommu_restore_owner(&f->h, NULL, false, NULL, NULL, &why), 3);
	assert_unchanged(f);

	for (int k = 1; k <= total; k++) {
		char line[1024];

		fk.writes = 0;
		fk.fail_at = k;
		assert_int_equal(bind(f, txn_set, 4, NULL, 0, 0, out, 8, &why), -EIO);
		assert_int_equal(why.kind, IOMMU_PROBLEM_BIND_FAILED);
		iommu_format_problem(&why, line, sizeof(line));
		assert_non_null(strstr(line, "Input/output error"));
		assert_null(strstr(line, "could not be given back"));
		assert_unchanged(f);
	}
}

static void test_probe_without_bind_times_out_and_rolls_back(void **state)
{
	struct fixture *f = *state;
	const char *bdfs[] = { "0000:00:12.0", "0000:00:03.0" };
	struct iommu_bound out[2];
	struct iommu_problem why;
	char line[1024];

	f->h.timeout_ms = 200;
	fk.no_probe = "0000:00:03.0";
	assert_int_equal(bind(f, bdfs, 2, NULL, 0, 0, out, 2, &why), -ETIMEDOUT);
	iommu_format_problem(&why, line, sizeof(line));
	assert_string_equal(line, "0000:00:03.0 ([1234:11e8]): waiting for vfio-pci to bind: Connection timed out; "
				  "see the kernel log (dmesg) for the driver's reason");
	driver_is(f, "0000:00:12.0", "igbvf");
	assert_unchanged(f);
}

static void test_owners(void **state)
{
	struct fixture *f = *state;
	const char *a[] = { "0000:03:00.0" }, *b[] = { "0000:03:00.1" }, *vf[] = { "0000:00:12.0" };
	struct iommu_bound out[2];
	struct iommu_problem why;
	struct iommu_record rec;
	struct iommu_group_info gi;
	unsigned ok, bad;
	char line[1024];

	set_proc(f, 777, 5000);
	set_proc(f, 888, 6000);
	assert_int_equal(bind(f, a, 1, "web", 777, 0, out, 2, &why), 1);
	assert_int_equal(bind(f, vf, 1, "web", 777, 0, out, 2, &why), 1);
	assert_int_equal(iommu_record_load(&f->h, "0000:00:12.0", &rec), 0);
	assert_string_equal(rec.owner, "web");
	assert_int_equal(rec.pid, 777);
	assert_int_equal(rec.starttime, 5000);

	/* Same owner again: nothing to do. */
	assert_int_equal(bind(f, vf, 1, "web", 777, 0, out, 2, &why), 1);
	assert_int_equal(out[0].outcome, IOMMU_BIND_HELD);

	/* Another live partition: refused, by name, for the device and for
	 * a device of the same group. */
	assert_int_equal(bind(f, vf, 1, "db", 888, 0, out, 2, &why), -EBUSY);
	assert_int_equal(why.kind, IOMMU_PROBLEM_HELD);
	iommu_format_problem(&why, line, sizeof(line));
	assert_string_equal(line, "0000:00:12.0 (Intel Corporation 82576 Virtual Function): held by partition web "
				  "(pid 777); stop that partition first, or use another device");
	assert_int_equal(bind(f, b, 1, "db", 888, 0, out, 2, &why), -EBUSY);
	iommu_format_problem(&why, line, sizeof(line));
	assert_string_equal(line, "0000:03:00.1 (Intel Corporation 82576 Virtual Function): its IOMMU group 12 is "
				  "held by partition web (pid 777) through 0000:03:00.0; stop that partition first, "
				  "or use another device");
	assert_int_equal(iommu_query_device(&f->h, "0000:03:00.1", &gi), 0);
	assert_true(gi.held);
	assert_true(gi.holder_alive);
	assert_string_equal(gi.holder, "web");
	assert_int_equal(gi.holder_pid, 777);

	/* Restoring another partition, or a running one, touches nothing. */
	assert_int_equal(iommu_restore_owner(&f->h, "db", false, &ok, &bad, &why), 0);
	assert_int_equal(iommu_restore_owner(&f->h, "web", false, &ok, &bad, &why), 0);
	driver_is(f, "0000:00:12.0", "vfio-pci");
	assert_int_equal(iommu_restore_device(&f->h, "0000:00:12.0", false, &why), -EBUSY);
	assert_int_equal(why.kind, IOMMU_PROBLEM_HELD);

	/* web dies (kill -9): db may adopt its VF, keeping the original driver. */
	kill_proc(f, 777);
	assert_int_equal(bind(f, vf, 1, "db", 888, 0, out, 2, &why), 1);
	assert_int_equal(out[0].outcome, IOMMU_BIND_ADOPTED);
	assert_string_equal(out[0].orig_driver, "igbvf");
	assert_int_equal(iommu_record_load(&f->h, "0000:00:12.0", &rec), 0);
	assert_string_equal(rec.owner, "db");
	assert_string_equal(rec.driver, "igbvf");

	/* ExecStopPost of web restores only what web still holds. */
	assert_int_equal(iommu_restore_owner(&f->h, "web", false, &ok, &bad, &why), 1);
	driver_is(f, "0000:03:00.0", "");
	driver_is(f, "0000:00:12.0", "vfio-pci");
	kill_proc(f, 888);
	assert_int_equal(iommu_restore_owner(&f->h, "db", false, &ok, &bad, &why), 1);
	driver_is(f, "0000:00:12.0", "igbvf");
	assert_unchanged(f);
}

/* What a kill -9 between "unbind igbvf" and "probe vfio-pci" leaves. */
static void test_restore_after_interrupted_bind(void **state)
{
	struct fixture *f = *state;
	struct iommu_record rec = { .bdf = "0000:00:12.0", .driver = "igbvf", .owner = "web", .pid = 999,
				    .starttime = 1 };
	struct iommu_problem why;
	unsigned ok = 0, bad = 0;
	char link[PATH_MAX];

	assert_int_equal(iommu_record_save(&f->h, &rec), 0);
	assert_int_equal(fake_sysfs_write(f->root, "sys/devices/pci0000:00/0000:00:12.0/driver_override",
					  "vfio-pci\n"), 0);
	at(link, sizeof(link), f->root, "/sys/bus/pci/devices/%s/driver%s", "0000:00:12.0", "");
	assert_int_equal(unlink(link), 0);

	assert_int_equal(iommu_restore_owner(&f->h, NULL, false, &ok, &bad, &why), 1);
	assert_int_equal(bad, 0);
	driver_is(f, "0000:00:12.0", "igbvf");
	assert_unchanged(f);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_bind_and_restore_vf),
		T(test_bind_unbound_device_restores_to_none),
		T(test_already_bound_is_left_alone),
		T(test_refusals),
		T(test_group_flag_binds_the_group),
		T(test_fault_at_every_step_leaves_tree_as_it_was),
		T(test_probe_without_bind_times_out_and_rolls_back),
		T(test_owners),
		T(test_restore_after_interrupted_bind),
	};
	return cmocka_run_group_tests_name("iommu_bind", tests, NULL, NULL);
}
