// SPDX-License-Identifier: GPL-2.0-only
/*
 * PFs and VFs as sysfs shows them (Documentation/ABI/testing/sysfs-bus-pci):
 * a PF has sriov_totalvfs/sriov_numvfs and a virtfnN link per VF; a VF has
 * a physfn link back; a network function has its interface under net/.
 */
#include "sriov/sriov.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util/cleanup.h"
#include "core/util/sysfs.h"

#define PCI_DEVICES "/sys/bus/pci/devices"


static int pathf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int path_exists(const char *root, const char *fmt_path)
{
	char p[PATH_MAX];
	struct stat st;

	if (pathf(p, sizeof(p), "%s%s", root, fmt_path) < 0)
		return -ENAMETOOLONG;
	return stat(p, &st) < 0 ? -errno : 0;
}

/* The first (only) interface under DEVDIR/net/, or "" if none. */
static int read_netdev(const char *root, const char *devdir, char *ifname, size_t len)
{
	_cleanup_(closedirp) DIR *d = NULL;
	char p[PATH_MAX];
	struct dirent *e;

	ifname[0] = '\0';
	if (pathf(p, sizeof(p), "%s%s/net", root, devdir) < 0)
		return -ENAMETOOLONG;
	d = opendir(p);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (strlen(e->d_name) >= len)
			return -E2BIG;
		strcpy(ifname, e->d_name);
		return 0;
	}
	return 0;
}

static int read_driver(const char *root, const char *devdir, char *buf, size_t len)
{
	char p[PATH_MAX];
	int r;

	r = pathf(p, sizeof(p), "%s/driver", devdir);
	if (r < 0)
		return r;
	r = sysfs_read_link(root, p, buf, len);
	if (r == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	return r;
}

static int read_uint(const char *root, const char *devdir, const char *attr, unsigned *out)
{
	char p[PATH_MAX];
	uint64_t v;
	int r;

	r = pathf(p, sizeof(p), "%s/%s", devdir, attr);
	if (r < 0)
		return r;
	r = sysfs_read_u64(root, p, &v);
	if (r < 0)
		return r;
	if (v > UINT_MAX)
		return -ERANGE;
	*out = (unsigned)v;
	return 0;
}

int sriov_pf_refresh(const char *root, struct sriov_pf *pf)
{
	char dev[PATH_MAX], p[PATH_MAX + 32];
	unsigned autoprobe = 1;
	uint64_t ifindex;
	int r;

	r = pathf(dev, sizeof(dev), PCI_DEVICES "/%s", pf->bdf);
	if (r < 0)
		return r;
	r = read_uint(root, dev, "sriov_totalvfs", &pf->totalvfs);
	if (r == -ENOENT)
		return -EOPNOTSUPP;
	if (r < 0)
		return r;
	r = read_uint(root, dev, "sriov_numvfs", &pf->numvfs);
	if (r < 0)
		return r;
	/* Older kernels have no sriov_drivers_autoprobe: they always probe. */
	r = read_uint(root, dev, "sriov_drivers_autoprobe", &autoprobe);
	if (r < 0 && r != -ENOENT)
		return r;
	pf->autoprobe = autoprobe != 0;
	r = read_driver(root, dev, pf->driver, sizeof(pf->driver));
	if (r < 0)
		return r;
	r = read_netdev(root, dev, pf->ifname, sizeof(pf->ifname));
	if (r < 0)
		return r;
	pf->ifindex = 0;
	if (pf->ifname[0]) {
		r = pathf(p, sizeof(p), "/sys/class/net/%s/ifindex", pf->ifname);
		if (r < 0)
			return r;
		r = sysfs_read_u64(root, p, &ifindex);
		if (r < 0)
			return r;
		if (ifindex == 0 || ifindex > INT_MAX)
			return -ERANGE;
		pf->ifindex = (int)ifindex;
	}
	return 0;
}

/* "00:02.0" names the function in PCI domain 0. */
static bool looks_like_bdf(const char *name)
{
	return strchr(name, ':') && strchr(name, '.');
}

int sriov_pf_find(const char *root, const char *name, struct sriov_pf *pf)
{
	char p[PATH_MAX], sub[32];
	int r;

	memset(pf, 0, sizeof(*pf));
	if (!*name || strchr(name, '/'))
		return -ENODEV;

	if (looks_like_bdf(name)) {
		bool has_domain = strchr(name, ':') != strrchr(name, ':');

		r = snprintf(pf->bdf, sizeof(pf->bdf), "%s%s", has_domain ? "" : "0000:", name);
		if (r >= (int)sizeof(pf->bdf))
			return -ENODEV;
	} else {
		if (strlen(name) >= IF_NAMESIZE)
			return -ENODEV;
		r = pathf(p, sizeof(p), "/sys/class/net/%s/device", name);
		if (r < 0)
			return r;
		r = sysfs_read_link(root, p, pf->bdf, sizeof(pf->bdf));
		if (r == -ENOENT) {
			/* An interface without a device (lo, a bridge) exists
			 * but is no PF. */
			r = pathf(p, sizeof(p), "/sys/class/net/%s", name);
			if (r < 0)
				return r;
			return path_exists(root, p) == 0 ? -EOPNOTSUPP : -ENODEV;
		}
		if (r < 0)
			return r;
		/* Only a PCI function can be an SR-IOV PF. */
		r = pathf(p, sizeof(p), "/sys/class/net/%s/device/subsystem", name);
		if (r < 0)
			return r;
		r = sysfs_read_link(root, p, sub, sizeof(sub));
		if (r < 0 || strcmp(sub, "pci"))
			return -EOPNOTSUPP;
	}

	r = pathf(p, sizeof(p), PCI_DEVICES "/%s", pf->bdf);
	if (r < 0)
		return r;
	r = path_exists(root, p);
	if (r < 0)
		return r == -ENOENT ? -ENODEV : r;
	return sriov_pf_refresh(root, pf);
}

static int cmp_pf(const void *a, const void *b)
{
	return strcmp(((const struct sriov_pf *)a)->bdf, ((const struct sriov_pf *)b)->bdf);
}

int sriov_pf_list(const char *root, struct sriov_pf **ret)
{
	_cleanup_(closedirp) DIR *d = NULL;
	_cleanup_free_ struct sriov_pf *pfs = NULL;
	size_t n = 0, cap = 0;
	char p[PATH_MAX];
	struct dirent *e;
	int r;

	*ret = NULL;
	r = pathf(p, sizeof(p), "%s" PCI_DEVICES, root);
	if (r < 0)
		return r;
	d = opendir(p);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		struct sriov_pf pf = { 0 };

		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(pf.bdf))
			continue;
		strcpy(pf.bdf, e->d_name);
		r = sriov_pf_refresh(root, &pf);
		if (r == -EOPNOTSUPP)
			continue;
		if (r < 0)
			return r;
		if (n == cap) {
			struct sriov_pf *np;

			cap = cap ? cap * 2 : 8;
			np = reallocarray(pfs, cap, sizeof(*pfs));
			if (!np)
				return -ENOMEM;
			pfs = np;
		}
		pfs[n++] = pf;
	}
	if (n > INT_MAX)
		return -E2BIG;
	if (n)
		qsort(pfs, n, sizeof(*pfs), cmp_pf);
	*ret = TAKE_PTR(pfs);
	return (int)n;
}

int sriov_vf_get(const char *root, const struct sriov_pf *pf, unsigned index, struct sriov_vf *vf)
{
	char p[PATH_MAX];
	int r;

	memset(vf, 0, sizeof(*vf));
	vf->index = index;
	r = pathf(p, sizeof(p), PCI_DEVICES "/%s/virtfn%u", pf->bdf, index);
	if (r < 0)
		return r;
	r = sysfs_read_link(root, p, vf->bdf, sizeof(vf->bdf));
	if (r < 0)
		return r;
	r = pathf(p, sizeof(p), PCI_DEVICES "/%s", vf->bdf);
	if (r < 0)
		return r;
	r = read_driver(root, p, vf->driver, sizeof(vf->driver));
	if (r < 0)
		return r;
	return read_netdev(root, p, vf->ifname, sizeof(vf->ifname));
}

int sriov_vf_find_by_bdf(const char *root, const char *vf_bdf, struct sriov_pf *pf,
			 unsigned *index)
{
	char p[PATH_MAX], pf_bdf[SRIOV_BDF_MAX];
	int r;

	r = pathf(p, sizeof(p), PCI_DEVICES "/%s/physfn", vf_bdf);
	if (r < 0)
		return r;
	r = sysfs_read_link(root, p, pf_bdf, sizeof(pf_bdf));
	if (r < 0)
		return r;
	r = sriov_pf_find(root, pf_bdf, pf);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < pf->numvfs; i++) {
		struct sriov_vf vf;

		if (sriov_vf_get(root, pf, i, &vf) == 0 && !strcmp(vf.bdf, vf_bdf)) {
			*index = i;
			return 0;
		}
	}
	return -ENOENT;
}
