// SPDX-License-Identifier: GPL-2.0-only
/*
 * Creating and destroying VFs through sriov_numvfs
 * (Documentation/PCI/pci-iov-howto.rst): the kernel refuses to change a
 * non-zero count to another non-zero count, so a change passes through 0.
 */
#include "sriov/sriov.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/util/sysfs.h"
#include "core/util/uevent.h"

struct vf_wait {
	const char *root;
	const struct sriov_pf *pf;
	unsigned n;
	bool want_netdev;
};

/* Drivers that take a VF without making a network interface of it. */
static bool driver_has_netdev(const char *driver)
{
	return strcmp(driver, "vfio-pci") && strcmp(driver, "pci-pf-stub");
}

/* Checked again on every event: all VFs present, and, when they are
 * probed on a network PF, bound with their netdev registered. */
static int vfs_ready(const struct uevent *ev, void *userdata)
{
	struct vf_wait *w = userdata;

	for (unsigned i = 0; i < w->n; i++) {
		struct sriov_vf vf;
		int r = sriov_vf_get(w->root, w->pf, i, &vf);

		if (r == -ENOENT)
			return 0;
		if (r < 0)
			return r;
		if (!w->want_netdev)
			continue;
		if (!vf.driver[0])
			return 0;
		if (driver_has_netdev(vf.driver) && !vf.ifname[0])
			return 0;
	}
	return 1;
}

static int write_numvfs(const char *root, const struct sriov_pf *pf, unsigned n)
{
	char p[PATH_MAX], v[16];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/sriov_numvfs", pf->bdf);
	snprintf(v, sizeof(v), "%u", n);
	return sysfs_write(root, p, v);
}

static int write_autoprobe(const char *root, const struct sriov_pf *pf, bool on)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/sriov_drivers_autoprobe", pf->bdf);
	return sysfs_write(root, p, on ? "1" : "0");
}

/* Back to OLD_N VFs and OLD_AUTOPROBE after a failed change; the VFs come
 * back with fresh settings, which is all the kernel can give. */
static void undo(const char *root, struct sriov_pf *pf, unsigned old_n, bool old_autoprobe)
{
	struct sriov_pf now = *pf;

	if (sriov_pf_refresh(root, &now) == 0 && now.numvfs != old_n) {
		if (now.numvfs)
			(void)write_numvfs(root, pf, 0);
		(void)write_autoprobe(root, pf, old_autoprobe);
		if (old_n)
			(void)write_numvfs(root, pf, old_n);
	} else {
		(void)write_autoprobe(root, pf, old_autoprobe);
	}
	(void)sriov_pf_refresh(root, pf);
}

int sriov_pf_set_numvfs(const char *root, struct sriov_pf *pf, unsigned n, int autoprobe,
			int timeout_ms)
{
	_cleanup_uevent_waiter_ struct uevent_waiter *waiter = NULL;
	unsigned old_n = pf->numvfs;
	bool old_autoprobe = pf->autoprobe;
	bool new_autoprobe = autoprobe < 0 ? old_autoprobe : autoprobe != 0;
	struct vf_wait w;
	int r;

	if (n > pf->totalvfs)
		return -ERANGE;
	/* Autoprobe acts when VFs appear, so a changed one recreates them. */
	if (n == old_n && new_autoprobe == old_autoprobe)
		return 0;

	/* Listen before acting, so no event can slip between the two. */
	if (n) {
		r = uevent_waiter_new(NULL, &waiter);
		if (r < 0)
			return r;
	}
	if (new_autoprobe != old_autoprobe) {
		r = write_autoprobe(root, pf, new_autoprobe);
		if (r < 0)
			return r;
	}
	if (old_n) {
		r = write_numvfs(root, pf, 0);
		if (r < 0)
			goto fail;
	}
	if (n) {
		r = write_numvfs(root, pf, n);
		if (r < 0)
			goto fail;
	}
	r = sriov_pf_refresh(root, pf);
	if (r < 0)
		return r;
	if (!n)
		return 0;

	w = (struct vf_wait){
		.root = root,
		.pf = pf,
		.n = n,
		.want_netdev = new_autoprobe && pf->ifname[0],
	};
	r = uevent_wait(waiter, timeout_ms, vfs_ready, &w);
	if (r == -ETIMEDOUT) {
		/* Not one VF device appeared: the change did not happen. */
		struct sriov_vf vf;

		if (sriov_vf_get(root, pf, 0, &vf) == -ENOENT)
			goto fail;
		return r;
	}
	return r < 0 ? r : 0;

fail:
	undo(root, pf, old_n, old_autoprobe);
	return r;
}
