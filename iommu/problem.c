// SPDX-License-Identifier: GPL-2.0-only
/* Refusals and failures as one line: the device, what is wrong, the fix. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/util/sysfs.h"
#include "iommu/internal.h"

/* Vendor and device name only: cheaper than iommu_device_read(), and it
 * must work for a device that is half way through a bind. */
static void label_of(const struct iommu_host *h, const char *bdf, char *buf, size_t len)
{
	struct iommu_device d = { 0 };
	struct pcidb *db;
	char rel[PATH_MAX];
	uint64_t v;

	buf[0] = '\0';
	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/vendor", bdf);
	if (sysfs_read_u64(h->root, rel, &v) < 0)
		return;
	d.vendor_id = (uint16_t)v;
	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/device", bdf);
	if (sysfs_read_u64(h->root, rel, &v) < 0)
		return;
	d.device_id = (uint16_t)v;
	if (pcidb_open(h->root, &db) < 0)
		return;
	pcidb_name(db, &d);
	pcidb_close(db);
	iommu_device_label(&d, buf, len);
}

static int errno_of(enum iommu_problem_kind kind)
{
	switch (kind) {
	case IOMMU_PROBLEM_BAD_BDF:
		return -EINVAL;
	case IOMMU_PROBLEM_NO_DEVICE:
		return -ENODEV;
	case IOMMU_PROBLEM_NO_GROUP:
		return -ENXIO;
	case IOMMU_PROBLEM_BRIDGE:
		return -EPERM;
	case IOMMU_PROBLEM_NO_VFIO_DRIVER:
	case IOMMU_PROBLEM_NOT_HELD:
		return -ENOENT;
	case IOMMU_PROBLEM_NONE:
		return 0;
	default:
		return -EBUSY;
	}
}

int iommu_problem_set(const struct iommu_host *h, struct iommu_problem *why,
		      enum iommu_problem_kind kind, const char *bdf, int err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		err = errno_of(kind);
	if (!why)
		return err;
	memset(why, 0, sizeof(*why));
	why->kind = kind;
	why->err = err;
	snprintf(why->bdf, sizeof(why->bdf), "%s", bdf ? bdf : "");
	if (bdf && kind != IOMMU_PROBLEM_BAD_BDF && kind != IOMMU_PROBLEM_NO_DEVICE)
		label_of(h, bdf, why->label, sizeof(why->label));
	va_start(ap, fmt);
	vsnprintf(why->detail, sizeof(why->detail), fmt, ap);
	va_end(ap);
	return err;
}

void iommu_format_problem(const struct iommu_problem *p, char *buf, size_t len)
{
	char who[IOMMU_BDF_LEN + sizeof(p->label) + 4];
	const char *hint = "";

	if (p->label[0])
		snprintf(who, sizeof(who), "%s (%s)", p->bdf, p->label);
	else
		snprintf(who, sizeof(who), "%s", p->bdf);

	switch (p->kind) {
	case IOMMU_PROBLEM_NONE:
		snprintf(buf, len, "%s: no problem", who);
		return;
	case IOMMU_PROBLEM_BAD_BDF:
		snprintf(buf, len, "'%s' is not a PCI address; write DDDD:BB:DD.F or BB:DD.F, e.g. 0000:00:12.0",
			 p->detail);
		return;
	case IOMMU_PROBLEM_NO_DEVICE:
		hint = "see 'partvm devices' for the PCI devices of this host";
		break;
	case IOMMU_PROBLEM_NO_GROUP:
		hint = "enable VT-d/AMD-Vi in the firmware and boot with intel_iommu=on or amd_iommu=on; "
		       "see 'partvm host check'";
		break;
	case IOMMU_PROBLEM_BRIDGE:
		hint = "pass through the endpoints behind it instead";
		break;
	case IOMMU_PROBLEM_IN_USE:
		hint = "stop the host from using it first";
		break;
	case IOMMU_PROBLEM_NOT_VIABLE:
		hint = "add --group to bind the whole group, or unbind those devices first";
		break;
	case IOMMU_PROBLEM_HELD:
		hint = "stop that partition first, or use another device";
		break;
	case IOMMU_PROBLEM_NO_VFIO_DRIVER:
		hint = "run 'modprobe vfio-pci'";
		break;
	case IOMMU_PROBLEM_BIND_FAILED:
		hint = "see the kernel log (dmesg) for the driver's reason";
		break;
	case IOMMU_PROBLEM_RESTORE_FAILED:
		hint = "see dmesg; 'partvm vfio restore --all' retries";
		break;
	case IOMMU_PROBLEM_NOT_HELD:
		hint = "only devices that partvm bound can be restored";
		break;
	}
	if (p->err && (p->kind == IOMMU_PROBLEM_BIND_FAILED || p->kind == IOMMU_PROBLEM_RESTORE_FAILED))
		snprintf(buf, len, "%s: %s: %s; %s", who, p->detail, strerror(-p->err), hint);
	else
		snprintf(buf, len, "%s: %s; %s", who, p->detail, hint);
}
