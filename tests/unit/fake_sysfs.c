// SPDX-License-Identifier: GPL-2.0-only
#include "fake_sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pci/pci.h>

static int mkdirs(const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return mkdir(p, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static int parent_dirs(const char *path)
{
	char p[PATH_MAX], *slash;

	snprintf(p, sizeof(p), "%s", path);
	slash = strrchr(p, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	return mkdirs(p);
}

int fake_sysfs_write(const char *root, const char *rel, const char *content)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (parent_dirs(p) < 0)
		return -errno;
	f = fopen(p, "we");
	if (!f)
		return -errno;
	fputs(content, f);
	return fclose(f) == 0 ? 0 : -errno;
}

int fake_sysfs_link(const char *root, const char *rel, const char *target)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (parent_dirs(p) < 0)
		return -errno;
	unlink(p);
	return symlink(target, p) < 0 ? -errno : 0;
}

char *fake_sysfs_create(void)
{
	char tmpl[] = "/tmp/partvm-fake-XXXXXX", *root;

	if (!mkdtemp(tmpl))
		return NULL;
	root = strdup(tmpl);
	if (!root)
		return NULL;
	if (fake_sysfs_write(root, "sys/bus/pci/drivers_probe", "") < 0 ||
	    mkdirs(tmpl) < 0 ||
	    fake_sysfs_write(root, "sys/kernel/iommu_groups/.keep", "") < 0 ||
	    fake_sysfs_write(root, "sys/bus/pci/devices/.keep", "") < 0 ||
	    fake_sysfs_write(root, "dev/vfio/.keep", "") < 0 ||
	    fake_sysfs_write(root, "proc/self/mountinfo", "") < 0) {
		fake_sysfs_destroy(root);
		return NULL;
	}
	return root;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void fake_sysfs_destroy(char *root)
{
	if (!root)
		return;
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(root);
}

int fake_sysfs_add_driver(const char *root, const char *name)
{
	char rel[PATH_MAX];
	int r;

	snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s/bind", name);
	r = fake_sysfs_write(root, rel, "");
	snprintf(rel, sizeof(rel), "sys/bus/pci/drivers/%s/unbind", name);
	return r < 0 ? r : fake_sysfs_write(root, rel, "");
}

/* A config space as libpci walks it: the header, one PCIe capability and
 * extended capabilities from 0x100 (PCIe base spec 7.5, 7.6). */
static void make_config(const struct fake_pci *d, uint8_t cfg[4096])
{
	unsigned ext = 0x100, prev = 0;

	memset(cfg, 0, 4096);
	cfg[PCI_VENDOR_ID] = d->vendor & 0xff;
	cfg[PCI_VENDOR_ID + 1] = d->vendor >> 8;
	cfg[PCI_DEVICE_ID] = d->device & 0xff;
	cfg[PCI_DEVICE_ID + 1] = d->device >> 8;
	cfg[PCI_CLASS_PROG] = d->class_code & 0xff;
	cfg[PCI_CLASS_DEVICE] = (d->class_code >> 8) & 0xff;
	cfg[PCI_CLASS_DEVICE + 1] = (d->class_code >> 16) & 0xff;
	cfg[PCI_HEADER_TYPE] = d->bridge ? PCI_HEADER_TYPE_BRIDGE : PCI_HEADER_TYPE_NORMAL;
	cfg[PCI_STATUS] = PCI_STATUS_CAP_LIST;
	cfg[PCI_CAPABILITY_LIST] = 0x40;
	cfg[0x40] = PCI_CAP_ID_EXP;
	cfg[0x41] = 0;
	cfg[0x42] = 2; /* capability version 2, endpoint */
	uint32_t devcap = d->flr ? PCI_EXP_DEVCAP_FLRESET : 0;
	memcpy(&cfg[0x40 + PCI_EXP_DEVCAP], &devcap, 4);

	uint16_t ids[2];
	int n = 0;
	if (d->acs)
		ids[n++] = PCI_EXT_CAP_ID_ACS;
	if (d->total_vfs)
		ids[n++] = PCI_EXT_CAP_ID_SRIOV;
	for (int i = 0; i < n; i++, prev = ext, ext += 0x40) {
		uint32_t hdr = ids[i] | (1u << 16);
		memcpy(&cfg[ext], &hdr, 4);
		if (i)
			cfg[prev + 2] |= (uint8_t)((ext << 4) & 0xf0), cfg[prev + 3] = (uint8_t)(ext >> 4);
	}
}

/* snprintf that fails the caller on truncation. */
#define FMT(buf, len, ...) do { int n_ = snprintf(buf, len, __VA_ARGS__); \
		if (n_ < 0 || (size_t)n_ >= (len)) return -ENAMETOOLONG; } while (0)

int fake_sysfs_add_pci(const char *root, const struct fake_pci *d)
{
	char dev[128], rel[PATH_MAX], buf[64], path[PATH_MAX];
	uint8_t cfg[4096];
	FILE *f;
	int r = 0;

	FMT(dev, sizeof(dev), "sys/devices/pci0000:00/%s", d->bdf);
#define W(attr, ...) do { FMT(buf, sizeof(buf), __VA_ARGS__); \
		FMT(rel, sizeof(rel), "%s/%s", dev, attr); \
		if ((r = fake_sysfs_write(root, rel, buf)) < 0) return r; } while (0)
	W("vendor", "0x%04x\n", d->vendor);
	W("device", "0x%04x\n", d->device);
	W("class", "0x%06x\n", d->class_code);
	W("driver_override", "(null)\n");
	if (d->reset_method)
		W("reset_method", "%s\n", d->reset_method);
	if (d->boot_vga)
		W("boot_vga", "1\n");
	if (d->total_vfs) {
		W("sriov_totalvfs", "%u\n", d->total_vfs);
		W("sriov_numvfs", "0\n");
	}
#undef W
	make_config(d, cfg);
	FMT(path, sizeof(path), "%s/%s/config", root, dev);
	f = fopen(path, "we");
	if (!f || fwrite(cfg, 1, sizeof(cfg), f) != sizeof(cfg) || fclose(f) != 0)
		return -EIO;

	FMT(rel, sizeof(rel), "sys/bus/pci/devices/%s", d->bdf);
	FMT(path, sizeof(path), "../../../devices/pci0000:00/%s", d->bdf);
	if ((r = fake_sysfs_link(root, rel, path)) < 0)
		return r;
	if (d->group >= 0) {
		FMT(rel, sizeof(rel), "%s/iommu_group", dev);
		FMT(path, sizeof(path), "../../../kernel/iommu_groups/%d", d->group);
		if ((r = fake_sysfs_link(root, rel, path)) < 0)
			return r;
		FMT(rel, sizeof(rel), "sys/kernel/iommu_groups/%d/devices/%s", d->group, d->bdf);
		FMT(path, sizeof(path), "../../../../devices/pci0000:00/%s", d->bdf);
		if ((r = fake_sysfs_link(root, rel, path)) < 0)
			return r;
	}
	if (d->driver) {
		if ((r = fake_sysfs_add_driver(root, d->driver)) < 0)
			return r;
		FMT(rel, sizeof(rel), "%s/driver", dev);
		FMT(path, sizeof(path), "../../../bus/pci/drivers/%s", d->driver);
		if ((r = fake_sysfs_link(root, rel, path)) < 0)
			return r;
	}
	if (d->physfn) {
		FMT(rel, sizeof(rel), "%s/physfn", dev);
		FMT(path, sizeof(path), "../%s", d->physfn);
		if ((r = fake_sysfs_link(root, rel, path)) < 0)
			return r;
	}
	if (d->netdev) {
		FMT(rel, sizeof(rel), "%s/net/%s/flags", dev, d->netdev);
		FMT(buf, sizeof(buf), "0x%x\n", d->netdev_flags);
		if ((r = fake_sysfs_write(root, rel, buf)) < 0)
			return r;
		FMT(rel, sizeof(rel), "sys/class/net/%s", d->netdev);
		FMT(path, sizeof(path), "../../devices/pci0000:00/%s/net/%s", d->bdf, d->netdev);
		if ((r = fake_sysfs_link(root, rel, path)) < 0)
			return r;
	}
	return 0;
}

struct lines {
	char **v;
	size_t n, cap;
};

static void push_line(struct lines *l, const char *line)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = realloc(l->v, l->cap * sizeof(char *));
	}
	l->v[l->n++] = strdup(line);
}

/* Walk DIR (REL below the root) without following links. */
static void walk(const char *dir, const char *rel, struct lines *l)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX], r[PATH_MAX], line[PATH_MAX + 512], data[256] = "";
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		snprintf(r, sizeof(r), "%s/%s", rel, de->d_name);
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			ssize_t n = readlink(path, data, sizeof(data) - 1);
			data[n < 0 ? 0 : n] = '\0';
			snprintf(line, sizeof(line), "l %s -> %s", r, data);
		} else if (S_ISDIR(st.st_mode)) {
			snprintf(line, sizeof(line), "d %s", r);
			walk(path, r, l);
		} else {
			FILE *f = fopen(path, "re");
			size_t n = f ? fread(data, 1, sizeof(data) - 1, f) : 0;
			if (f)
				fclose(f);
			data[n] = '\0';
			for (size_t i = 0; i < n; i++)
				if ((unsigned char)data[i] < 0x20 && data[i] != '\n')
					data[i] = '.';
			snprintf(line, sizeof(line), "f %s size=%lld = %s", r, (long long)st.st_size, data);
		}
		push_line(l, line);
	}
	closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *fake_sysfs_snapshot(const char *root)
{
	struct lines l = { 0 };
	size_t total = 1;
	char *out, *p;

	walk(root, "", &l);
	qsort(l.v, l.n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < l.n; i++)
		total += strlen(l.v[i]) + 1;
	out = p = malloc(total);
	for (size_t i = 0; i < l.n; i++) {
		p = stpcpy(p, l.v[i]);
		*p++ = '\n';
		free(l.v[i]);
	}
	*p = '\0';
	free(l.v);
	return out;
}
