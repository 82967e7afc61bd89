// SPDX-License-Identifier: GPL-2.0-only
/* What the VMM asks before it opens a VFIO group for a device. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/cleanup.h"
#include "core/util/sysfs.h"
#include "iommu/internal.h"

int iommu_query_device(const struct iommu_host *h, const char *bdf, struct iommu_group_info *gi)
{
	_cleanup_free_ char (*bdfs)[IOMMU_BDF_LEN] = NULL;
	char canon[IOMMU_BDF_LEN], link[32], rel[PATH_MAX];
	int n, r;

	memset(gi, 0, sizeof(*gi));
	gi->group = -1;
	if (iommu_parse_bdf(bdf, canon) < 0)
		return -EINVAL;
	if (!iommu_exists(h->root, "/sys/bus/pci/devices/%s", canon))
		return -ENODEV;
	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/iommu_group", canon);
	if (sysfs_read_link(h->root, rel, link, sizeof(link)) < 0)
		return 0; /* no group: the caller explains that the IOMMU is off */
	gi->group = atoi(link);
	r = iommu_path(gi->vfio_path, sizeof(gi->vfio_path), h->root, "/dev/vfio/%d", gi->group);
	if (r < 0)
		return r;
	r = iommu_group_viability(h, gi->group, &gi->viability);
	if (r < 0)
		return r;
	n = iommu_group_devices(h, gi->group, &bdfs);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct iommu_record rec;
		if (iommu_record_load(h, bdfs[i], &rec) < 0)
			continue;
		gi->held = true;
		memcpy(gi->holder, rec.owner, sizeof(gi->holder));
		gi->holder_pid = rec.pid;
		gi->holder_alive = iommu_record_owner_alive(h, &rec);
		if (gi->holder_alive)
			break; /* a live holder is what the caller must hear about */
	}
	return 0;
}
