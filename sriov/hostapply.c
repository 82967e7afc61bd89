// SPDX-License-Identifier: GPL-2.0-only
/*
 * `partvm host apply`: bring the host to its host.conf. Every section is
 * checked against the host before the first change; then each change is
 * made only when the host differs, reported, and logged so that a failure
 * undoes the earlier ones in reverse order.
 */
#include "sriov/internal.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/cleanup.h"
#include "core/util/sysfs.h"
#include "iommu/iommu.h"


enum change_kind { CHANGE_NUMVFS, CHANGE_VF, CHANGE_VFIO, CHANGE_HUGE };

struct change {
	enum change_kind kind;
	struct sriov_pf pf;          /* as it was before (NUMVFS), or its PF */
	unsigned vf;
	struct sriov_vf_config before; /* VF */
	uint32_t attrs;              /* VF: the attributes written */
	char bdf[SRIOV_BDF_MAX];     /* VFIO */
	uint64_t size_kb;            /* HUGE */
	unsigned long old_count;
};

struct run {
	const struct iommu_host *h;
	const char *path;
	struct sriov_nl *nl;
	sriov_host_report_fn report;
	void *userdata;
	struct change *log;
	size_t nlog;
	char *err;
	size_t errlen;
	struct sriov_pf *pfs; /* resolved [pf] sections, same order */
};

static void say(struct run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct run *run, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!run->report)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	run->report(run->userdata, line);
}

static int record(struct run *run, const struct change *c)
{
	struct change *n = reallocarray(run->log, run->nlog + 1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	run->log = n;
	n[run->nlog++] = *c;
	return 0;
}

static const char *pf_name(const struct sriov_pf *pf)
{
	return pf->ifname[0] ? pf->ifname : pf->bdf;
}

static int hugepages_path(uint64_t kb, char *buf, size_t len)
{
	int n = snprintf(buf, len, "/sys/kernel/mm/hugepages/hugepages-%llukB/nr_hugepages",
			 (unsigned long long)kb);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int find_pf(struct run *run, const char *name, int line, struct sriov_pf *pf)
{
	int r = sriov_pf_find(run->h->root, name, pf);

	if (r == -ENODEV)
		return sriov_fail(run->err, run->errlen, -EINVAL,
				  "%s:%d: %s: no such network interface or PCI device", run->path,
				  line, name);
	if (r == -EOPNOTSUPP)
		return sriov_fail(run->err, run->errlen, -EINVAL, "%s:%d: %s is not an SR-IOV PF",
				  run->path, line, name);
	if (r < 0)
		return sriov_fail(run->err, run->errlen, r, "%s:%d: %s: %s", run->path, line, name,
				  strerror(-r));
	return 0;
}

/* The VF count PF will have once the config is applied. */
static unsigned target_vfs(const struct sriov_host_config *c, const struct run *run,
			   const struct sriov_pf *pf)
{
	for (size_t i = 0; i < c->npfs; i++)
		if (!strcmp(run->pfs[i].bdf, pf->bdf) && c->pfs[i].has_vfs)
			return c->pfs[i].vfs;
	return pf->numvfs;
}

/* Everything that can be known to be wrong before touching the host. */
static int check(struct run *run, const struct sriov_host_config *c)
{
	char p[PATH_MAX], who[256];
	int r;

	for (size_t i = 0; i < c->npfs; i++) {
		const struct sriov_host_pf *q = &c->pfs[i];
		struct sriov_pf *pf = &run->pfs[i];
		unsigned n;

		r = find_pf(run, q->name, q->line, pf);
		if (r < 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(run->pfs[j].bdf, pf->bdf))
				return sriov_fail(run->err, run->errlen, -EINVAL,
						  "%s:%d: [pf \"%s\"] is the PF of line %d again",
						  run->path, q->line, q->name, c->pfs[j].line);
		if (q->has_vfs && q->vfs > pf->totalvfs)
			return sriov_fail(run->err, run->errlen, -EINVAL,
					  "%s:%d: [pf \"%s\"]: vfs = %u, but the PF supports at most %u",
					  run->path, q->line, q->name, q->vfs, pf->totalvfs);
		n = q->has_vfs ? q->vfs : pf->numvfs;
		for (unsigned v = n; v < SRIOV_HOST_MAX_VFS; v++)
			if (q->vfio[v / 64] & (1ULL << (v % 64)))
				return sriov_fail(run->err, run->errlen, -EINVAL,
						  "%s:%d: [pf \"%s\"]: vfio: VF %u does not exist (%u VFs)",
						  run->path, q->vfio_line, q->name, v, n);
		/* A count that changes recreates every VF: none may be held. */
		if ((q->has_vfs && q->vfs != pf->numvfs) ||
		    (q->autoprobe >= 0 && (bool)q->autoprobe != pf->autoprobe && pf->numvfs)) {
			for (unsigned v = 0; v < pf->numvfs; v++) {
				struct sriov_vf vf;

				if (sriov_vf_get(run->h->root, pf, v, &vf) < 0)
					continue;
				if (sriov_vf_holder(run->h->root, partvm_runtime_dir(), &vf, who,
						    sizeof(who)) > 0)
					return sriov_fail(run->err, run->errlen, -EBUSY,
							  "%s:%d: %s VF %u (%s) is held by %s; its VF "
							  "count cannot change",
							  run->path, q->line, q->name, v, vf.bdf, who);
			}
		}
	}

	for (size_t i = 0; i < c->nvfs; i++) {
		const struct sriov_host_vf *q = &c->vfs[i];
		struct sriov_vf_config probe = { 0 };
		struct sriov_pf pf;
		char e[256];
		unsigned n;

		r = find_pf(run, q->pf, q->line, &pf);
		if (r < 0)
			return r;
		n = target_vfs(c, run, &pf);
		if (q->index >= n)
			return sriov_fail(run->err, run->errlen, -EINVAL,
					  "%s:%d: [vf \"%s/%u\"]: VF %u does not exist (%u VFs)",
					  run->path, q->line, q->pf, q->index, q->index, n);
		if (!pf.ifindex)
			return sriov_fail(run->err, run->errlen, -EINVAL,
					  "%s:%d: [vf \"%s/%u\"]: %s is no network device; its VFs "
					  "take no settings",
					  run->path, q->line, q->pf, q->index, pf.bdf);
		/* Rate limits both given must agree; one given alone is
		 * checked against the VF's current value when applied. */
		sriov_settings_merge(&q->settings, &probe, &probe);
		if (sriov_config_check(&probe, e, sizeof(e)) < 0)
			return sriov_fail(run->err, run->errlen, -EINVAL, "%s:%d: %s", run->path,
					  q->line, e);
	}

	for (size_t i = 0; i < c->nhuge; i++) {
		uint64_t v;

		r = hugepages_path(c->huge[i].size_kb, p, sizeof(p));
		if (r < 0)
			return r;
		if (sysfs_read_u64(run->h->root, p, &v) < 0)
			return sriov_fail(run->err, run->errlen, -EINVAL,
					  "%s:%d: [hugepages]: this host has no %llu kB pages",
					  run->path, c->huge[i].line,
					  (unsigned long long)c->huge[i].size_kb);
	}
	return 0;
}

static int apply_numvfs(struct run *run, const struct sriov_host_config *c)
{
	for (size_t i = 0; i < c->npfs; i++) {
		const struct sriov_host_pf *q = &c->pfs[i];
		struct change ch = { .kind = CHANGE_NUMVFS, .pf = run->pfs[i] };
		struct sriov_pf *pf = &run->pfs[i];
		unsigned n = q->has_vfs ? q->vfs : pf->numvfs;
		int r;

		if (n == pf->numvfs && (q->autoprobe < 0 || (bool)q->autoprobe == pf->autoprobe))
			continue;
		r = record(run, &ch);
		if (r < 0)
			return r;
		r = sriov_pf_set_numvfs(run->h->root, pf, n, q->autoprobe, run->h->timeout_ms);
		if (r < 0 && r != -ETIMEDOUT)
			return sriov_fail(run->err, run->errlen, r,
					  "%s: cannot change sriov_numvfs from %u to %u: %s",
					  pf_name(pf), ch.pf.numvfs, n, strerror(-r));
		if (pf->autoprobe != ch.pf.autoprobe)
			say(run, "%s: sriov_drivers_autoprobe %s -> %s", pf_name(pf),
			    ch.pf.autoprobe ? "on" : "off", pf->autoprobe ? "on" : "off");
		say(run, "%s: %u VFs (was %u)", pf_name(pf), pf->numvfs, ch.pf.numvfs);
	}
	return 0;
}

static int apply_vfs(struct run *run, const struct sriov_host_config *c)
{
	for (size_t i = 0; i < c->nvfs; i++) {
		const struct sriov_host_vf *q = &c->vfs[i];
		struct change ch = { .kind = CHANGE_VF, .vf = q->index };
		struct sriov_apply_result res;
		char e[512];
		int r;

		r = sriov_pf_find(run->h->root, q->pf, &ch.pf);
		if (r < 0)
			return sriov_fail(run->err, run->errlen, r, "%s: %s", q->pf, strerror(-r));
		r = sriov_vf_set(run->nl, ch.pf.ifindex, q->index, &q->settings, &res, e, sizeof(e));
		if (r < 0)
			return sriov_fail(run->err, run->errlen, r, "%s:%d: %s vf %u: %s", run->path,
					  q->line, q->pf, q->index, e);
		if (!res.written)
			continue;
		ch.before = res.before;
		ch.attrs = res.written;
		r = record(run, &ch);
		if (r < 0)
			return r;
		for (int k = 0; k < _SRIOV_KEY_MAX; k++) {
			char a[SRIOV_MAC_STRLEN], b[SRIOV_MAC_STRLEN];

			if (sriov_format_key(&res.before, (enum sriov_key)k, a, sizeof(a)) == 0 &&
			    sriov_format_key(&res.after, (enum sriov_key)k, b, sizeof(b)) == 0 &&
			    strcmp(a, b))
				say(run, "%s vf %u: %s %s -> %s", q->pf, q->index,
				    sriov_key_name((enum sriov_key)k), a, b);
		}
	}
	return 0;
}

static int apply_vfio(struct run *run, const struct sriov_host_config *c)
{
	for (size_t i = 0; i < c->npfs; i++) {
		const struct sriov_host_pf *q = &c->pfs[i];

		for (unsigned v = 0; v < run->pfs[i].numvfs && v < SRIOV_HOST_MAX_VFS; v++) {
			struct change ch = { .kind = CHANGE_VFIO, .vf = v, .pf = run->pfs[i] };
			struct iommu_owner owner = { 0 };
			struct iommu_problem why;
			struct iommu_bound bound;
			struct sriov_vf vf;
			const char *bdfs[1];
			char p[1024];
			int r;

			if (!(q->vfio[v / 64] & (1ULL << (v % 64))))
				continue;
			r = sriov_vf_get(run->h->root, &run->pfs[i], v, &vf);
			if (r < 0)
				return sriov_fail(run->err, run->errlen, r, "%s vf %u: %s", q->name, v,
						  strerror(-r));
			if (!strcmp(vf.driver, "vfio-pci"))
				continue;
			snprintf(ch.bdf, sizeof(ch.bdf), "%s", vf.bdf);
			bdfs[0] = vf.bdf;
			r = iommu_bind_devices(run->h, bdfs, 1, &owner, 0, &bound, 1, &why);
			if (r < 0) {
				iommu_format_problem(&why, p, sizeof(p));
				return sriov_fail(run->err, run->errlen, r, "%s:%d: %s vf %u: %s",
						  run->path, q->vfio_line, q->name, v, p);
			}
			r = record(run, &ch);
			if (r < 0)
				return r;
			say(run, "%s vf %u (%s): %s -> vfio-pci", q->name, v, vf.bdf,
			    vf.driver[0] ? vf.driver : "no driver");
		}
	}
	return 0;
}

static int apply_hugepages(struct run *run, const struct sriov_host_config *c)
{
	for (size_t i = 0; i < c->nhuge; i++) {
		const struct sriov_host_hugepages *q = &c->huge[i];
		struct change ch = { .kind = CHANGE_HUGE, .size_kb = q->size_kb };
		char p[PATH_MAX], v[32];
		uint64_t now;
		int r;

		hugepages_path(q->size_kb, p, sizeof(p));
		r = sysfs_read_u64(run->h->root, p, &now);
		if (r < 0)
			return sriov_fail(run->err, run->errlen, r, "%s: %s", p, strerror(-r));
		if (now == q->count)
			continue;
		ch.old_count = now;
		r = record(run, &ch);
		if (r < 0)
			return r;
		snprintf(v, sizeof(v), "%lu", q->count);
		r = sysfs_write(run->h->root, p, v);
		if (r == 0)
			r = sysfs_read_u64(run->h->root, p, &now);
		if (r < 0)
			return sriov_fail(run->err, run->errlen, r, "%s:%d: %llu kB hugepages: %s",
					  run->path, q->line, (unsigned long long)q->size_kb,
					  strerror(-r));
		/* The kernel allocates what it can: fewer pages is a failure. */
		if (now != q->count)
			return sriov_fail(run->err, run->errlen, -ENOMEM,
					  "%s:%d: only %llu of %lu %llu kB hugepages could be "
					  "allocated",
					  run->path, q->line, (unsigned long long)now, q->count,
					  (unsigned long long)q->size_kb);
		say(run, "hugepages %llukB: %lu -> %lu", (unsigned long long)q->size_kb,
		    ch.old_count, q->count);
	}
	return 0;
}

/* Reverse order; returns how many changes could not be undone. */
static unsigned undo(struct run *run)
{
	unsigned bad = 0;

	while (run->nlog) {
		struct change *ch = &run->log[--run->nlog];
		struct sriov_apply_result res;
		struct sriov_settings s;
		struct iommu_problem why;
		struct sriov_pf pf;
		char p[PATH_MAX], v[32];
		int r = 0;

		switch (ch->kind) {
		case CHANGE_NUMVFS:
			pf = ch->pf;
			(void)sriov_pf_refresh(run->h->root, &pf);
			r = sriov_pf_set_numvfs(run->h->root, &pf, ch->pf.numvfs, ch->pf.autoprobe,
						run->h->timeout_ms);
			if (r == -ETIMEDOUT)
				r = 0;
			break;
		case CHANGE_VF:
			s.keys = 0;
			for (int a = 0; a < _SRIOV_ATTR_MAX; a++)
				if (ch->attrs & SRIOV_ATTR_BIT(a))
					s.keys |= sriov_attr_keys((enum sriov_attr)a);
			s.cfg = ch->before;
			r = sriov_vf_set(run->nl, ch->pf.ifindex, ch->vf, &s, &res, NULL, 0);
			break;
		case CHANGE_VFIO:
			r = iommu_restore_device(run->h, ch->bdf, true, &why);
			break;
		case CHANGE_HUGE:
			hugepages_path(ch->size_kb, p, sizeof(p));
			snprintf(v, sizeof(v), "%lu", ch->old_count);
			r = sysfs_write(run->h->root, p, v);
			break;
		}
		if (r < 0)
			bad++;
	}
	return bad;
}

int sriov_host_apply(const struct iommu_host *h, const struct sriov_host_config *c,
		     const char *path, sriov_host_report_fn report, void *userdata, char *err,
		     size_t errlen)
{
	_cleanup_(sriov_nl_closep) struct sriov_nl *nl = NULL;
	_cleanup_free_ struct sriov_pf *pfs = NULL;
	_cleanup_free_ struct change *log = NULL;
	struct run run = {
		.h = h, .path = path, .report = report, .userdata = userdata, .err = err,
		.errlen = errlen,
	};
	size_t changes;
	unsigned bad;
	int r;

	if (err && errlen)
		err[0] = '\0';
	pfs = calloc(c->npfs ? c->npfs : 1, sizeof(*pfs));
	if (!pfs)
		return -ENOMEM;
	run.pfs = pfs;
	r = check(&run, c);
	if (r < 0)
		return r;
	if (c->nvfs) {
		r = sriov_nl_open(&nl);
		if (r < 0)
			return sriov_fail(err, errlen, r, "cannot open rtnetlink: %s", strerror(-r));
		run.nl = nl;
	}

	r = apply_numvfs(&run, c);
	if (r == 0)
		r = apply_vfs(&run, c);
	if (r == 0)
		r = apply_vfio(&run, c);
	if (r == 0)
		r = apply_hugepages(&run, c);
	changes = run.nlog;
	log = run.log;
	if (r == 0)
		return (int)changes;

	if (r == -ENOMEM && err && !err[0])
		sriov_fail(err, errlen, r, "out of memory");
	bad = undo(&run);
	log = run.log;
	if (err && errlen) {
		size_t used = strlen(err);

		if (bad)
			snprintf(err + used, errlen - used,
				 "; undoing the earlier changes failed for %u of them", bad);
		else if (changes)
			snprintf(err + used, errlen - used, "; the earlier changes were undone");
		else
			snprintf(err + used, errlen - used, "; no other change was made");
	}
	return r;
}
