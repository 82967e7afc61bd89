// SPDX-License-Identifier: GPL-2.0-only
/*
 * Giving devices back: from a bind record, return the device to the driver
 * it had (or to no driver) and the driver_override it had, then forget it.
 * Works from any process, so a VMM killed with SIGKILL loses nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/uevent.h"
#include "iommu/internal.h"

int iommu_give_back(const struct iommu_host *h, const struct iommu_record *rec, struct iommu_problem *why)
{
	_cleanup_uevent_waiter_ struct uevent_waiter *w = NULL;
	const char *bdf = rec->bdf;
	char cur[IOMMU_DRIVER_LEN];
	int r;

	r = iommu_read_driver(h, bdf, cur, sizeof(cur));
	if (r == -ENODEV)
		/* A VF destroyed since: nothing left to give back. */
		return iommu_record_remove(h, bdf);
	if (r < 0)
		return iommu_problem_set(h, why, IOMMU_PROBLEM_RESTORE_FAILED, bdf, r, "cannot read its driver");

	if (cur[0] && strcmp(cur, rec->driver) != 0) {
		if (strcmp(cur, "vfio-pci") != 0)
			return iommu_problem_set(h, why, IOMMU_PROBLEM_RESTORE_FAILED, bdf, -EBUSY,
						 "it is now on %s, not vfio-pci; left alone", cur);
		r = iommu_unbind_driver(h, bdf, cur);
		if (r < 0)
			return iommu_problem_set(h, why, IOMMU_PROBLEM_RESTORE_FAILED, bdf, r,
						 "unbind from vfio-pci");
		cur[0] = '\0';
	}
	r = iommu_set_override(h, bdf, rec->driver_override);
	if (r < 0)
		return iommu_problem_set(h, why, IOMMU_PROBLEM_RESTORE_FAILED, bdf, r,
					 "resetting driver_override to '%s'", rec->driver_override);

	if (rec->driver[0] && strcmp(cur, rec->driver) != 0) {
		if (!iommu_driver_loaded(h, rec->driver))
			return iommu_problem_set(h, why, IOMMU_PROBLEM_RESTORE_FAILED, bdf, -ENOENT,
						 "giving it back to %s: driver not loaded (modprobe %s)",
						 rec->driver, rec->driver);
		r = uevent_waiter_new("pci", &w);
		if (r < 0)
			return iommu_problem_set(h, why, IOMMU_PROBLEM_RESTORE_FAILED, bdf, r,
						 "listening for device events");
		r = iommu_bind_driver(h, bdf, rec->driver);
		if (r < 0)
			return iommu_problem_set(h, why, IOMMU_PROBLEM_RESTORE_FAILED, bdf, r,
						 "binding %s", rec->driver);
		r = iommu_wait_driver(h, w, bdf, rec->driver);
		if (r < 0)
			return iommu_problem_set(h, why, IOMMU_PROBLEM_RESTORE_FAILED, bdf, r,
						 "waiting for %s to bind", rec->driver);
	}
	r = iommu_record_remove(h, bdf);
	if (r < 0)
		return iommu_problem_set(h, why, IOMMU_PROBLEM_RESTORE_FAILED, bdf, r, "removing its record");
	return 0;
}

/* May this process give back REC? Not while another live process holds it. */
static bool may_restore(const struct iommu_host *h, const struct iommu_record *rec, bool force)
{
	return force || rec->pid == getpid() || !iommu_record_owner_alive(h, rec);
}

int iommu_restore_device(const struct iommu_host *h, const char *bdf, bool force, struct iommu_problem *why)
{
	_cleanup_close_ int lock = -1;
	struct iommu_record rec;
	int r;

	lock = iommu_state_lock(h);
	if (lock < 0)
		return iommu_problem_set(h, why, IOMMU_PROBLEM_RESTORE_FAILED, bdf, lock,
					 "locking %s", h->state_dir);
	r = iommu_record_load(h, bdf, &rec);
	if (r == -ENOENT)
		return iommu_problem_set(h, why, IOMMU_PROBLEM_NOT_HELD, bdf, r,
					 "partvm holds no record of binding it (in %s)", h->state_dir);
	if (r < 0)
		return iommu_problem_set(h, why, IOMMU_PROBLEM_RESTORE_FAILED, bdf, r,
					 "reading its record in %s", h->state_dir);
	if (!may_restore(h, &rec, force))
		return iommu_problem_set(h, why, IOMMU_PROBLEM_HELD, bdf, 0,
					 "held by partition %s (pid %d, running)", rec.owner, (int)rec.pid);
	return iommu_give_back(h, &rec, why);
}

int iommu_restore_owner(const struct iommu_host *h, const char *owner, bool force,
			unsigned *restored, unsigned *failed, struct iommu_problem *why)
{
	_cleanup_close_ int lock = -1;
	_cleanup_free_ struct iommu_record *recs = NULL;
	unsigned ok = 0, bad = 0;
	int n, first = 0;

	lock = iommu_state_lock(h);
	if (lock < 0)
		return iommu_problem_set(h, why, IOMMU_PROBLEM_RESTORE_FAILED, NULL, lock,
					 "locking %s", h->state_dir);
	n = iommu_record_list(h, &recs);
	if (n < 0)
		return iommu_problem_set(h, why, IOMMU_PROBLEM_RESTORE_FAILED, NULL, n,
					 "reading records in %s", h->state_dir);
	/* Reverse order: the last bound goes back first, like an undo. */
	for (int i = n - 1; i >= 0; i--) {
		struct iommu_problem p;
		int r;

		if (owner && strcmp(recs[i].owner, owner) != 0)
			continue;
		if (!may_restore(h, &recs[i], force))
			continue;
		r = iommu_give_back(h, &recs[i], &p);
		if (r < 0) {
			bad++;
			if (!first) {
				first = r;
				if (why)
					*why = p;
			}
			continue;
		}
		ok++;
	}
	if (restored)
		*restored = ok;
	if (failed)
		*failed = bad;
	return first ? first : (int)ok;
}
