// SPDX-License-Identifier: GPL-2.0-only
/* What partvm knows about one PCI device, read from sysfs and libpci. */
#include <dirent.h>
#include <errno.h>
#include <pci/pci.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/cleanup.h"
#include "core/util/dir.h"
#include "core/util/sysfs.h"
#include "core/util/udev.h"
#include "iommu/internal.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct pcidb *, pcidb_close)

#define DEV "/sys/bus/pci/devices/%s"

static int attr_path(char *buf, size_t len, const char *bdf, const char *attr)
{
	int n = snprintf(buf, len, "/sys/bus/pci/devices/%s/%s", bdf, attr);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int read_attr(const struct iommu_host *h, const char *bdf, const char *attr,
		     char *buf, size_t len)
{
	char p[PATH_MAX];
	int r = attr_path(p, sizeof(p), bdf, attr);
	return r < 0 ? r : sysfs_read(h->root, p, buf, len);
}

static int read_u64(const struct iommu_host *h, const char *bdf, const char *attr, uint64_t *v)
{
	char p[PATH_MAX];
	int r = attr_path(p, sizeof(p), bdf, attr);
	return r < 0 ? r : sysfs_read_u64(h->root, p, v);
}

static int read_link(const struct iommu_host *h, const char *bdf, const char *attr,
		     char *buf, size_t len)
{
	char p[PATH_MAX];
	int r = attr_path(p, sizeof(p), bdf, attr);
	return r < 0 ? r : sysfs_read_link(h->root, p, buf, len);
}

int iommu_read_driver(const struct iommu_host *h, const char *bdf, char *buf, size_t len)
{
	int r = read_link(h, bdf, "driver", buf, len);

	if (r == -ENOENT) {
		if (!iommu_exists(h->root, DEV, bdf))
			return -ENODEV;
		buf[0] = '\0';
		return 0;
	}
	return r;
}

static int read_one(const struct iommu_host *h, struct pcidb *db, const char *bdf,
		    struct iommu_device *d)
{
	char buf[64];
	uint64_t v;
	int r;

	memset(d, 0, sizeof(*d));
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	if (!iommu_exists(h->root, DEV, bdf))
		return -ENODEV;
	r = read_u64(h, bdf, "vendor", &v);
	if (r < 0)
		return r;
	d->vendor_id = (uint16_t)v;
	r = read_u64(h, bdf, "device", &v);
	if (r < 0)
		return r;
	d->device_id = (uint16_t)v;
	r = read_u64(h, bdf, "class", &v);
	if (r < 0)
		return r;
	d->class_code = (uint32_t)v & 0xffffff;
	d->host_bridge = (d->class_code >> 8) == PCI_CLASS_BRIDGE_HOST;
	/* Class says bridge even when config space cannot be read. */
	d->bridge = (d->class_code >> 8) == PCI_CLASS_BRIDGE_PCI ||
		    (d->class_code >> 8) == PCI_CLASS_BRIDGE_CARDBUS;

	d->group = -1;
	if (read_link(h, bdf, "iommu_group", buf, sizeof(buf)) == 0)
		d->group = atoi(buf);
	r = iommu_read_driver(h, bdf, d->driver, sizeof(d->driver));
	if (r < 0)
		return r;
	if (read_attr(h, bdf, "driver_override", d->driver_override, sizeof(d->driver_override)) < 0 ||
	    !strcmp(d->driver_override, "(null)"))
		d->driver_override[0] = '\0';
	if (read_attr(h, bdf, "reset_method", d->reset_methods, sizeof(d->reset_methods)) < 0)
		d->reset_methods[0] = '\0';
	if (read_link(h, bdf, "physfn", d->physfn, sizeof(d->physfn)) == 0)
		d->sriov_vf = true;
	if (read_u64(h, bdf, "sriov_totalvfs", &v) == 0) {
		d->total_vfs = (unsigned)v;
		d->sriov_pf = v > 0;
		if (read_u64(h, bdf, "sriov_numvfs", &v) == 0)
			d->num_vfs = (unsigned)v;
	}
	if (db)
		pcidb_describe(db, d);
	r = iommu_device_usage(h, bdf, d->in_use_reason, sizeof(d->in_use_reason));
	if (r < 0)
		return r;
	d->in_use = r > 0;
	return 0;
}

int iommu_device_read(const struct iommu_host *h, const char *bdf, struct iommu_device *d)
{
	_cleanup_(pcidb_closep) struct pcidb *db = NULL;
	int r = pcidb_open(h->root, &db);

	if (r < 0)
		return r;
	return read_one(h, db, bdf, d);
}

static int cmp_dev(const void *x, const void *y)
{
	return strcmp(((const struct iommu_device *)x)->bdf, ((const struct iommu_device *)y)->bdf);
}

/* Append BDF to the growing array. */
static int push(char (**names)[IOMMU_BDF_LEN], size_t *n, size_t *cap, const char *bdf)
{
	char canon[IOMMU_BDF_LEN];

	if (iommu_parse_bdf(bdf, canon) < 0)
		return 0;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		void *p = realloc(*names, nc * sizeof(**names));
		if (!p)
			return -ENOMEM;
		*names = p;
		*cap = nc;
	}
	memcpy((*names)[(*n)++], canon, IOMMU_BDF_LEN);
	return 0;
}

/* libudev has no notion of a root prefix, so it enumerates only the real
 * system; a prefixed (test) tree is listed from its directory. */
static int enumerate(const struct iommu_host *h, char (**names)[IOMMU_BDF_LEN], size_t *n)
{
	size_t cap = 0;
	int r;

	*names = NULL;
	*n = 0;
	if (!h->root[0]) {
		_cleanup_(udev_api_unload) struct udev_api api = { 0 };
		struct udev_enumerate *e = NULL;
		struct udev *u = NULL;

		r = udev_api_load(&api);
		if (r < 0)
			return r;
		u = api.udev_new();
		e = u ? api.udev_enumerate_new(u) : NULL;
		r = e ? api.udev_enumerate_add_match_subsystem(e, "pci") : -ENOMEM;
		if (r >= 0)
			r = api.udev_enumerate_scan_devices(e);
		for (struct udev_list_entry *it = r >= 0 ? api.udev_enumerate_get_list_entry(e) : NULL;
		     it && r >= 0; it = api.udev_list_entry_get_next(it)) {
			const char *path = api.udev_list_entry_get_name(it);
			const char *base = strrchr(path, '/');

			r = push(names, n, &cap, base ? base + 1 : path);
		}
		if (e)
			api.udev_enumerate_unref(e);
		if (u)
			api.udev_unref(u);
		return r < 0 ? r : 0;
	}

	_cleanup_strv_free_ char **list = NULL;
	char p[PATH_MAX];

	r = iommu_path(p, sizeof(p), h->root, "/sys/bus/pci/devices");
	if (r < 0)
		return r;
	r = dir_list(p, &list);
	if (r < 0)
		return r;
	for (char **name = list; *name; name++) {
		r = push(names, n, &cap, *name);
		if (r < 0)
			return r;
	}
	return 0;
}

int iommu_device_list(const struct iommu_host *h, struct iommu_device **out)
{
	_cleanup_(pcidb_closep) struct pcidb *db = NULL;
	_cleanup_free_ char (*names)[IOMMU_BDF_LEN] = NULL;
	_cleanup_free_ struct iommu_device *devs = NULL;
	size_t n = 0, k = 0;
	int r;

	r = enumerate(h, &names, &n);
	if (r < 0)
		return r;
	r = pcidb_open(h->root, &db);
	if (r < 0)
		return r;
	devs = calloc(n ? n : 1, sizeof(*devs));
	if (!devs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		r = read_one(h, db, names[i], &devs[k]);
		if (r == -ENODEV)
			continue; /* hot-removed (a VF going away) since the scan */
		if (r < 0)
			return r;
		k++;
	}
	qsort(devs, k, sizeof(*devs), cmp_dev);
	*out = TAKE_PTR(devs);
	return (int)k;
}

void iommu_device_label(const struct iommu_device *d, char *buf, size_t len)
{
	if (d->vendor[0] && d->device[0])
		snprintf(buf, len, "%s %s", d->vendor, d->device);
	else if (d->vendor[0])
		snprintf(buf, len, "%s Device %04x", d->vendor, d->device_id);
	else
		snprintf(buf, len, "[%04x:%04x]", d->vendor_id, d->device_id);
}
