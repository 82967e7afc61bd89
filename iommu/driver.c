// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel's driver-binding interface for one PCI device
 * (Documentation/ABI/testing/sysfs-bus-pci): driver_override names the only
 * driver allowed to probe it, drivers/X/unbind releases it, drivers_probe
 * re-runs matching, drivers/X/bind attaches a named driver. Each write is
 * one step of a bind or restore; the caller undoes what succeeded.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/util/sysfs.h"
#include "core/util/uevent.h"
#include "iommu/internal.h"

struct driver_wait {
	const struct iommu_host *h;
	const char *bdf;
	const char *driver;
	int err;
};

/* sysfs is the truth; an event about BDF only says when to look again. */
static int driver_reached(const struct uevent *ev, void *userdata)
{
	struct driver_wait *w = userdata;
	char cur[IOMMU_DRIVER_LEN];
	int r;

	if (ev && (!ev->sysname || strcmp(ev->sysname, w->bdf) != 0))
		return 0;
	r = iommu_read_driver(w->h, w->bdf, cur, sizeof(cur));
	if (r < 0)
		return r;
	return strcmp(cur, w->driver) == 0;
}

int iommu_wait_driver(const struct iommu_host *h, struct uevent_waiter *w, const char *bdf,
		      const char *driver)
{
	struct driver_wait dw = { .h = h, .bdf = bdf, .driver = driver };
	int r = uevent_wait(w, h->timeout_ms, driver_reached, &dw);

	return r > 0 ? 0 : r;
}

int iommu_set_override(const struct iommu_host *h, const char *bdf, const char *driver)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver_override", bdf);
	/* An empty write (a lone newline) clears the override. */
	return sysfs_write(h->root, p, driver[0] ? driver : "\n");
}

int iommu_unbind_driver(const struct iommu_host *h, const char *bdf, const char *driver)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/bus/pci/drivers/%s/unbind", driver);
	return sysfs_write(h->root, p, bdf);
}

int iommu_bind_driver(const struct iommu_host *h, const char *bdf, const char *driver)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/bus/pci/drivers/%s/bind", driver);
	return sysfs_write(h->root, p, bdf);
}

int iommu_probe_device(const struct iommu_host *h, const char *bdf)
{
	return sysfs_write(h->root, "/sys/bus/pci/drivers_probe", bdf);
}

bool iommu_driver_loaded(const struct iommu_host *h, const char *driver)
{
	return iommu_exists(h->root, "/sys/bus/pci/drivers/%s", driver);
}
