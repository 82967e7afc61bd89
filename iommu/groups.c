// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU groups: the unit of isolation. VFIO hands a group to one user, and
 * the kernel refuses the group while any endpoint in it is still driven by
 * a host driver; this file reproduces that verdict before anything is
 * touched, so a refusal can name the device at fault.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pci/pci.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/dir.h"
#include "core/util/sysfs.h"
#include "iommu/internal.h"

static int cmp_bdf(const void *a, const void *b)
{
	return strcmp(a, b);
}

int iommu_group_list(const struct iommu_host *h, int **out)
{
	_cleanup_strv_free_ char **names = NULL;
	char p[PATH_MAX];
	int *ids, r, n = 0;

	r = iommu_path(p, sizeof(p), h->root, "/sys/kernel/iommu_groups");
	if (r < 0)
		return r;
	r = dir_list_numeric(p, &names);
	if (r < 0)
		return r;
	ids = calloc((size_t)r + 1, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (char **name = names; *name; name++) {
		char *end;
		long v = strtol(*name, &end, 10);

		if (!isdigit((unsigned char)**name) || *end || v < 0 || v > INT32_MAX)
			continue;
		ids[n++] = (int)v;
	}
	*out = ids;
	return n;
}

int iommu_group_devices(const struct iommu_host *h, int group, char (**out)[IOMMU_BDF_LEN])
{
	_cleanup_strv_free_ char **names = NULL;
	char (*bdfs)[IOMMU_BDF_LEN];
	char p[PATH_MAX];
	int r, n = 0;

	r = iommu_path(p, sizeof(p), h->root, "/sys/kernel/iommu_groups/%d/devices", group);
	if (r < 0)
		return r;
	r = dir_list(p, &names);
	if (r < 0)
		return r;
	bdfs = calloc((size_t)r + 1, sizeof(*bdfs));
	if (!bdfs)
		return -ENOMEM;
	for (char **name = names; *name; name++)
		if (iommu_parse_bdf(*name, bdfs[n]) == 0)
			n++;
	/* Canonical names sort like the directory's, but a short form
	 * (00:02.0) would not: sort what was parsed. */
	if (n)
		qsort(bdfs, (size_t)n, sizeof(*bdfs), cmp_bdf);
	*out = bdfs;
	return n;
}

/* Bridges (type 1/2 headers) route, they do not do DMA for a driver; the
 * kernel leaves them out of the viability test. The class says so, and
 * the header type catches bridges with an unusual class. */
static bool is_bridge(const struct iommu_host *h, const char *bdf)
{
	char rel[PATH_MAX], p[PATH_MAX];
	_cleanup_close_ int fd = -1;
	uint64_t cls = 0;
	uint8_t hdr;

	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/class", bdf);
	if (sysfs_read_u64(h->root, rel, &cls) == 0 &&
	    ((cls >> 8) == PCI_CLASS_BRIDGE_PCI || (cls >> 8) == PCI_CLASS_BRIDGE_CARDBUS))
		return true;
	if (iommu_path(p, sizeof(p), h->root, "/sys/bus/pci/devices/%s/config", bdf) < 0)
		return false;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, &hdr, 1, PCI_HEADER_TYPE) != 1)
		return false;
	hdr &= 0x7f;
	return hdr == PCI_HEADER_TYPE_BRIDGE || hdr == PCI_HEADER_TYPE_CARDBUS;
}

int iommu_group_viability(const struct iommu_host *h, int group, struct iommu_viability *v)
{
	_cleanup_free_ char (*bdfs)[IOMMU_BDF_LEN] = NULL;
	int n;

	memset(v, 0, sizeof(*v));
	n = iommu_group_devices(h, group, &bdfs);
	if (n < 0)
		return n;
	v->ndevices = (size_t)n;
	for (int i = 0; i < n; i++) {
		char drv[IOMMU_DRIVER_LEN];
		int r;

		if (is_bridge(h, bdfs[i]))
			continue;
		r = iommu_read_driver(h, bdfs[i], drv, sizeof(drv));
		if (r == -ENODEV)
			continue; /* went away (a VF being destroyed) */
		if (r < 0)
			return r;
		if (iommu_driver_is_vfio_safe(drv))
			continue;
		if (v->nblockers < IOMMU_BLOCKERS_MAX) {
			memcpy(v->blockers[v->nblockers].bdf, bdfs[i], IOMMU_BDF_LEN);
			snprintf(v->blockers[v->nblockers].driver, IOMMU_DRIVER_LEN, "%s", drv);
		}
		v->nblockers++;
	}
	v->viable = v->nblockers == 0;
	return 0;
}
