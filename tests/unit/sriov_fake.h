/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A fake sysfs with an SR-IOV PF and its VFs for the sriov unit tests,
 * laid out as the kernel does it (relative symlinks): PF attributes,
 * virtfnN -> ../VF, VF physfn -> ../PF, driver links, net/IF directories
 * and /sys/class/net/IF. Header-only so that only the sriov tests carry it.
 */
#ifndef PARTVM_TEST_SRIOV_FAKE_H
#define PARTVM_TEST_SRIOV_FAKE_H

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Paths here are short and fixed; a cut one fails the test loudly. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static inline int fake_mkdirs(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/* Write ROOT/REL (creating directories). */
static inline int fake_write(const char *root, const char *rel, const char *content)
{
	char p[PATH_MAX], dir[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", p);
	*strrchr(dir, '/') = '\0';
	if (fake_mkdirs(dir) < 0)
		return -1;
	f = fopen(p, "w");
	if (!f)
		return -1;
	fputs(content, f);
	return fclose(f);
}

static inline int fake_link(const char *root, const char *rel, const char *target)
{
	char p[PATH_MAX], dir[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", p);
	*strrchr(dir, '/') = '\0';
	if (fake_mkdirs(dir) < 0)
		return -1;
	unlink(p);
	return symlink(target, p);
}

static inline char *fake_read(const char *root, const char *rel)
{
	static char buf[256];
	char p[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "r");
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return buf;
}

static inline void fake_netdev(const char *root, const char *bdf, const char *ifname, int ifindex,
			       unsigned flags)
{
	char rel[PATH_MAX], v[PATH_MAX];

	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/net/%s/ifindex", bdf, ifname);
	snprintf(v, sizeof(v), "%d\n", ifindex);
	fake_write(root, rel, v);
	snprintf(rel, sizeof(rel), "sys/class/net/%s/ifindex", ifname);
	fake_write(root, rel, v);
	snprintf(rel, sizeof(rel), "sys/class/net/%s/flags", ifname);
	snprintf(v, sizeof(v), "0x%x\n", flags);
	fake_write(root, rel, v);
	snprintf(rel, sizeof(rel), "sys/class/net/%s/device", ifname);
	snprintf(v, sizeof(v), "../../../bus/pci/devices/%s", bdf);
	fake_link(root, rel, v);
}

static inline void fake_driver(const char *root, const char *bdf, const char *driver)
{
	char rel[PATH_MAX], target[PATH_MAX];

	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/driver", bdf);
	if (!driver) {
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/%s", root, rel);
		unlink(p);
		return;
	}
	snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", driver);
	fake_link(root, rel, target);
}

/* VF I of a PF at 0000:00:02.0 is 0000:00:1X.Y with 2 functions' stride. */
static inline void fake_vf_bdf(unsigned i, char *buf, size_t len)
{
	snprintf(buf, len, "0000:00:%02x.%u", 0x10 + (i * 2) / 8, (i * 2) % 8);
}

/*
 * PF 0000:00:02.0 (driver igb; netdev eth0, ifindex 2, when NETDEV) with
 * TOTAL possible VFs, NUM of them present (driver igbvf, netdevs ethvfN).
 */
static inline void fake_pf(const char *root, unsigned total, unsigned num, int netdev)
{
	const char *pf = "0000:00:02.0";
	char rel[PATH_MAX], v[64], vf[32];

	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/sriov_totalvfs", pf);
	snprintf(v, sizeof(v), "%u\n", total);
	fake_write(root, rel, v);
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/sriov_numvfs", pf);
	snprintf(v, sizeof(v), "%u\n", num);
	fake_write(root, rel, v);
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/sriov_drivers_autoprobe", pf);
	fake_write(root, rel, "1\n");
	fake_link(root, "sys/bus/pci/devices/0000:00:02.0/subsystem", "../../../bus/pci");
	fake_driver(root, pf, "igb");
	if (netdev)
		fake_netdev(root, pf, "eth0", 2, 0x1003);
	for (unsigned i = 0; i < num; i++) {
		fake_vf_bdf(i, vf, sizeof(vf));
		snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/virtfn%u", pf, i);
		snprintf(v, sizeof(v), "../%s", vf);
		fake_link(root, rel, v);
		snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/physfn", vf);
		snprintf(v, sizeof(v), "../%s", pf);
		fake_link(root, rel, v);
		fake_driver(root, vf, "igbvf");
		if (netdev) {
			char ifname[16];

			snprintf(ifname, sizeof(ifname), "ethvf%u", i);
			fake_netdev(root, vf, ifname, 10 + (int)i, 0x1002);
		}
	}
}

static inline char *fake_tree(void)
{
	char *d = strdup("/tmp/partvm-sriov-test.XXXXXX");

	if (!d || !mkdtemp(d))
		return NULL;
	return d;
}

static inline void fake_tree_remove(char *root)
{
	char cmd[PATH_MAX + 16];

	if (root && !strncmp(root, "/tmp/partvm-sriov-test.", 23)) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", root);
	}
	free(root);
}

#endif
