// SPDX-License-Identifier: GPL-2.0-only
/*
 * Managed vfio-pci binding as a transaction: check every device first,
 * then record and bind them one by one; if one fails, give the earlier ones
 * back. Records are written before a device is touched, so a process
 * killed half way leaves enough behind for `partvm vfio restore`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/uevent.h"
#include "iommu/internal.h"

struct item {
	struct iommu_device dev;
	struct iommu_record rec;   /* what the device's record will say */
	struct iommu_record old;   /* its record before we adopted it */
	enum iommu_bind_outcome outcome;
	bool explicit;             /* named by the caller, not its group */
};

struct txn {
	const struct iommu_host *h;
	const struct iommu_owner *owner;
	struct iommu_problem *why;
	struct item *items;
	size_t n, cap;
	pid_t pid;
	unsigned long long starttime;
};

static struct item *find(struct txn *t, const char *bdf)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->items[i].dev.bdf, bdf))
			return &t->items[i];
	return NULL;
}

static int add(struct txn *t, const char *bdf, bool explicit)
{
	struct item *it = find(t, bdf);
	int r;

	if (it) {
		it->explicit |= explicit;
		return 0;
	}
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 8;
		void *p = realloc(t->items, nc * sizeof(*t->items));
		if (!p)
			return -ENOMEM;
		t->items = p;
		t->cap = nc;
	}
	it = &t->items[t->n];
	memset(it, 0, sizeof(*it));
	r = iommu_device_read(t->h, bdf, &it->dev);
	if (r == -ENODEV)
		return iommu_problem_set(t->h, t->why, IOMMU_PROBLEM_NO_DEVICE, bdf, 0, "no such PCI device");
	if (r < 0)
		return iommu_problem_set(t->h, t->why, IOMMU_PROBLEM_BIND_FAILED, bdf, r, "reading it from sysfs");
	if (it->dev.group < 0)
		return iommu_problem_set(t->h, t->why, IOMMU_PROBLEM_NO_GROUP, bdf, 0,
					 "has no IOMMU group, so the IOMMU is off");
	it->explicit = explicit;
	t->n++;
	return 0;
}

static int add_group(struct txn *t, int group)
{
	_cleanup_free_ char (*bdfs)[IOMMU_BDF_LEN] = NULL;
	int n = iommu_group_devices(t->h, group, &bdfs);

	if (n < 0)
		return iommu_problem_set(t->h, t->why, IOMMU_PROBLEM_BIND_FAILED, NULL, n,
					 "reading IOMMU group %d", group);
	for (int i = 0; i < n; i++) {
		struct iommu_device d;
		/* Bridges stay on pcieport; the kernel allows it. */
		if (iommu_device_read(t->h, bdfs[i], &d) < 0 || d.bridge || d.host_bridge)
			continue;
		int r = add(t, bdfs[i], false);
		if (r < 0)
			return r;
	}
	return 0;
}

static const char *owner_name(const struct iommu_owner *o)
{
	return o && o->name ? o->name : "";
}

static const char *holder_text(const struct iommu_record *r, char *buf, size_t len)
{
	if (r->owner[0])
		snprintf(buf, len, "partition %s (pid %d)", r->owner, (int)r->pid);
	else
		snprintf(buf, len, "pid %d", (int)r->pid);
	return buf;
}

/* Decide what happens to one device and refuse what must not be bound. */
static int plan_item(struct txn *t, struct item *it)
{
	const struct iommu_host *h = t->h;
	const char *me = owner_name(t->owner);
	bool on_vfio = !strcmp(it->dev.driver, "vfio-pci");
	char who[128];
	int r;

	if (it->dev.bridge || it->dev.host_bridge)
		return iommu_problem_set(h, t->why, IOMMU_PROBLEM_BRIDGE, it->dev.bdf, 0,
					 "is a %s (class %06x), not a device to pass through",
					 it->dev.host_bridge ? "host bridge" : "PCI bridge or root port",
					 it->dev.class_code);

	it->rec = (struct iommu_record){ .pid = t->pid, .starttime = t->starttime };
	memcpy(it->rec.bdf, it->dev.bdf, IOMMU_BDF_LEN);
	snprintf(it->rec.owner, sizeof(it->rec.owner), "%s", me);

	r = iommu_record_load(h, it->dev.bdf, &it->old);
	if (r < 0 && r != -ENOENT)
		return iommu_problem_set(h, t->why, IOMMU_PROBLEM_BIND_FAILED, it->dev.bdf, r,
					 "reading its record in %s", h->state_dir);
	if (r == 0) {
		bool alive = iommu_record_owner_alive(h, &it->old);
		bool mine = !strcmp(it->old.owner, me) && (!alive || it->old.pid == t->pid);

		if (alive && !mine)
			return iommu_problem_set(h, t->why, IOMMU_PROBLEM_HELD, it->dev.bdf, 0, "held by %s",
						 holder_text(&it->old, who, sizeof(who)));
		/* The original driver is the one from the first bind, whatever
		 * happened since. */
		memcpy(it->rec.driver, it->old.driver, sizeof(it->rec.driver));
		memcpy(it->rec.driver_override, it->old.driver_override, sizeof(it->rec.driver_override));
		if (!on_vfio)
			it->outcome = IOMMU_BIND_BOUND; /* an interrupted bind: finish it */
		else if (!it->old.owner[0] && !it->old.pid && me[0])
			it->outcome = IOMMU_BIND_ALREADY; /* bound by hand with the CLI */
		else if (mine && it->old.pid == t->pid)
			it->outcome = IOMMU_BIND_HELD;
		else
			it->outcome = IOMMU_BIND_ADOPTED;
	} else if (on_vfio) {
		it->outcome = IOMMU_BIND_ALREADY;
	} else {
		it->outcome = IOMMU_BIND_BOUND;
		memcpy(it->rec.driver, it->dev.driver, sizeof(it->rec.driver));
		memcpy(it->rec.driver_override, it->dev.driver_override, sizeof(it->rec.driver_override));
	}
	if (it->outcome == IOMMU_BIND_BOUND && it->dev.in_use)
		return iommu_problem_set(h, t->why, IOMMU_PROBLEM_IN_USE, it->dev.bdf, 0, "in use by the host: %s",
					 it->dev.in_use_reason);
	return 0;
}

/* After the bind, would the group be viable, and is no part of it held by
 * another live owner? Devices outside the transaction decide. */
static int plan_group(struct txn *t, const struct item *it)
{
	const struct iommu_host *h = t->h;
	_cleanup_free_ char (*bdfs)[IOMMU_BDF_LEN] = NULL;
	char others[sizeof(t->why->detail) - 128] = "", who[128];
	int n = iommu_group_devices(h, it->dev.group, &bdfs), bad = 0;

	if (n < 0)
		return iommu_problem_set(h, t->why, IOMMU_PROBLEM_BIND_FAILED, it->dev.bdf, n,
					 "reading IOMMU group %d", it->dev.group);
	for (int i = 0; i < n; i++) {
		struct iommu_device d;
		struct iommu_record rec;

		if (find(t, bdfs[i]))
			continue;
		if (iommu_record_load(h, bdfs[i], &rec) == 0 && iommu_record_owner_alive(h, &rec) &&
		    (strcmp(rec.owner, owner_name(t->owner)) || rec.pid != t->pid))
			return iommu_problem_set(h, t->why, IOMMU_PROBLEM_HELD, it->dev.bdf, 0,
						 "its IOMMU group %d is held by %s through %s", it->dev.group,
						 holder_text(&rec, who, sizeof(who)), bdfs[i]);
		if (iommu_device_read(h, bdfs[i], &d) < 0 || d.bridge || iommu_driver_is_vfio_safe(d.driver))
			continue;
		char lbl[2 * IOMMU_NAME_LEN];
		size_t used = strlen(others);
		iommu_device_label(&d, lbl, sizeof(lbl));
		snprintf(others + used, sizeof(others) - used, "%s%s %s on %s", bad++ ? ", " : "", d.bdf, lbl,
			 d.driver);
	}
	if (bad)
		return iommu_problem_set(h, t->why, IOMMU_PROBLEM_NOT_VIABLE, it->dev.bdf, 0,
					 "its IOMMU group %d would not be viable: it shares it with %s",
					 it->dev.group, others);
	return 0;
}

/* Record, then override, unbind, probe and wait; the record comes first so
 * that any interruption can be undone. */
static int bind_one(struct txn *t, struct item *it, struct uevent_waiter *w)
{
	const struct iommu_host *h = t->h;
	const char *bdf = it->dev.bdf;
	char cur[IOMMU_DRIVER_LEN];
	int r;

	r = iommu_record_save(h, &it->rec);
	if (r < 0 || it->outcome != IOMMU_BIND_BOUND)
		return r < 0 ? iommu_problem_set(h, t->why, IOMMU_PROBLEM_BIND_FAILED, bdf, r,
						 "writing its record in %s", h->state_dir) : 0;
	r = iommu_set_override(h, bdf, "vfio-pci");
	if (r < 0)
		return iommu_problem_set(h, t->why, IOMMU_PROBLEM_BIND_FAILED, bdf, r, "setting driver_override");
	r = iommu_read_driver(h, bdf, cur, sizeof(cur));
	if (r < 0)
		return iommu_problem_set(h, t->why, IOMMU_PROBLEM_BIND_FAILED, bdf, r, "reading its driver");
	/* A driver that probed since the plan (a VF's driver right after the
	 * VF appeared) is the one to give the device back to. */
	if (cur[0] && strcmp(cur, "vfio-pci") != 0 && strcmp(cur, it->rec.driver) != 0 && !it->old.bdf[0]) {
		snprintf(it->rec.driver, sizeof(it->rec.driver), "%s", cur);
		r = iommu_record_save(h, &it->rec);
		if (r < 0)
			return iommu_problem_set(h, t->why, IOMMU_PROBLEM_BIND_FAILED, bdf, r,
						 "writing its record in %s", h->state_dir);
	}
	if (cur[0] && strcmp(cur, "vfio-pci") != 0) {
		r = iommu_unbind_driver(h, bdf, cur);
		if (r < 0)
			return iommu_problem_set(h, t->why, IOMMU_PROBLEM_BIND_FAILED, bdf, r, "unbinding %s", cur);
	}
	r = iommu_probe_device(h, bdf);
	if (r < 0)
		return iommu_problem_set(h, t->why, IOMMU_PROBLEM_BIND_FAILED, bdf, r, "probing vfio-pci");
	r = iommu_wait_driver(h, w, bdf, "vfio-pci");
	if (r < 0)
		return iommu_problem_set(h, t->why, IOMMU_PROBLEM_BIND_FAILED, bdf, r,
					 "waiting for vfio-pci to bind");
	return 0;
}

/* Undo items [0, upto] in reverse; report what could not be undone. */
static void rollback(struct txn *t, size_t upto)
{
	for (size_t i = upto + 1; i-- > 0;) {
		struct item *it = &t->items[i];
		struct iommu_problem p;
		int r = 0;

		if (it->outcome == IOMMU_BIND_BOUND)
			r = iommu_give_back(t->h, &it->rec, &p);
		else if (it->outcome == IOMMU_BIND_ADOPTED)
			r = iommu_record_save(t->h, &it->old);
		if (r < 0 && t->why) {
			size_t used = strlen(t->why->detail);
			snprintf(t->why->detail + used, sizeof(t->why->detail) - used,
				 "; and %s could not be given back to %s", it->dev.bdf,
				 it->rec.driver[0] ? it->rec.driver : "no driver");
		}
	}
}

int iommu_bind_devices(const struct iommu_host *h, const char *const *bdfs, size_t n,
		       const struct iommu_owner *owner, unsigned flags,
		       struct iommu_bound *out, size_t max, struct iommu_problem *why)
{
	struct txn t = { .h = h, .owner = owner, .why = why };
	_cleanup_uevent_waiter_ struct uevent_waiter *w = NULL;
	_cleanup_close_ int lock = -1;
	bool need_vfio = false;
	int r = 0;

	t.pid = owner && owner->pid ? owner->pid : owner_name(owner)[0] ? getpid() : 0;
	if (t.pid && iommu_record_owner_starttime(h, t.pid, &t.starttime) < 0)
		t.starttime = 0;

	for (size_t i = 0; i < n; i++) {
		char canon[IOMMU_BDF_LEN];
		if (iommu_parse_bdf(bdfs[i], canon) < 0)
			return iommu_problem_set(h, why, IOMMU_PROBLEM_BAD_BDF, NULL, 0, "%s", bdfs[i]);
	}
	lock = iommu_state_lock(h);
	if (lock < 0)
		return iommu_problem_set(h, why, IOMMU_PROBLEM_BIND_FAILED, NULL, lock, "locking %s", h->state_dir);

	for (size_t i = 0; i < n && r >= 0; i++) {
		char canon[IOMMU_BDF_LEN];
		iommu_parse_bdf(bdfs[i], canon);
		r = add(&t, canon, true);
		if (r >= 0 && (flags & IOMMU_BIND_GROUP)) {
			struct item *it = find(&t, canon);
			if (!it->dev.bridge && !it->dev.host_bridge)
				r = add_group(&t, it->dev.group);
		}
	}
	for (size_t i = 0; i < t.n && r >= 0; i++) {
		r = plan_item(&t, &t.items[i]);
		need_vfio |= t.items[i].outcome == IOMMU_BIND_BOUND;
	}
	for (size_t i = 0; i < t.n && r >= 0; i++)
		r = plan_group(&t, &t.items[i]);
	if (r >= 0 && need_vfio && !iommu_driver_loaded(h, "vfio-pci"))
		r = iommu_problem_set(h, why, IOMMU_PROBLEM_NO_VFIO_DRIVER, t.items[0].dev.bdf, 0,
				      "the vfio-pci driver is not loaded");
	if (r >= 0 && need_vfio) {
		r = uevent_waiter_new("pci", &w);
		if (r < 0)
			r = iommu_problem_set(h, why, IOMMU_PROBLEM_BIND_FAILED, t.items[0].dev.bdf, r,
					      "listening for device events");
	}
	for (size_t i = 0; i < t.n && r >= 0; i++) {
		if (t.items[i].outcome == IOMMU_BIND_ALREADY || t.items[i].outcome == IOMMU_BIND_HELD)
			continue;
		r = bind_one(&t, &t.items[i], w);
		if (r < 0)
			rollback(&t, i);
	}
	if (r >= 0) {
		r = 0;
		for (size_t i = 0; i < t.n && (size_t)r < max; i++, r++) {
			memcpy(out[r].bdf, t.items[i].dev.bdf, IOMMU_BDF_LEN);
			memcpy(out[r].orig_driver, t.items[i].rec.driver, sizeof(out[r].orig_driver));
			out[r].outcome = t.items[i].outcome;
			out[r].group = t.items[i].dev.group;
		}
	}
	free(t.items);
	return r;
}
