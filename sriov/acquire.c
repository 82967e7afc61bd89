// SPDX-License-Identifier: GPL-2.0-only
/*
 * A partition's pool VFs over their life: claim (pool.c), configure
 * (apply.c), bind to vfio-pci (iommu/), and the reverse: neutral settings,
 * the original driver, the record removed. Each step is recorded before it
 * is taken, so the reverse also cleans up after a start that was killed.
 */
#include "sriov/sriov.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/process.h"
#include "core/util/sysfs.h"
#include "iommu/iommu.h"


/* Like sriov_fail(), but the first message stays: it is the cause. */
static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen && !err[0]) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

static void section_label(const char *name, char *buf, size_t len)
{
	if (*name)
		snprintf(buf, len, "[sriov \"%s\"]", name);
	else
		snprintf(buf, len, "[sriov]");
}

/* SETTINGS, minus the booleans the PF driver does not report (it would
 * refuse them), applied to VF as one transaction. */
static int configure(struct sriov_nl *nl, const struct sriov_pf *pf, unsigned vf,
		     const struct sriov_settings *settings, uint32_t optional, char *err,
		     size_t errlen)
{
	struct sriov_settings s = *settings;
	struct sriov_apply_result res;
	struct sriov_vf_config cur;
	int r;

	r = sriov_nl_read_vf(nl, pf->ifindex, vf, &cur);
	if (r < 0)
		return fail(err, errlen, r, "cannot read its attributes: %s", strerror(-r));
	if (cur.trust < 0)
		s.keys &= ~(optional & SRIOV_KEY_BIT(SRIOV_KEY_TRUST));
	if (cur.spoofchk < 0)
		s.keys &= ~(optional & SRIOV_KEY_BIT(SRIOV_KEY_SPOOFCHK));
	return sriov_vf_set(nl, pf->ifindex, vf, &s, &res, err, errlen);
}

static int neutralise(struct sriov_nl *nl, const struct sriov_pf *pf, unsigned vf, char *err,
		      size_t errlen)
{
	struct sriov_settings n;

	sriov_settings_neutral(&n);
	return configure(nl, pf, vf, &n, n.keys, err, errlen);
}

/* Undo one allocation, whatever state an interrupted start left it in. */
static int release_one(const struct iommu_host *h, struct sriov_nl *nl,
		       const struct sriov_alloc *a, char *err, size_t errlen)
{
	struct iommu_problem why;
	struct sriov_pf pf;
	struct sriov_vf vf;
	char e[512] = "", p[1024];
	bool keep = false;
	int r, first = 0;

	r = sriov_pf_find(h->root, a->pf_bdf, &pf);
	if (r == 0 && a->vf < pf.numvfs && sriov_vf_get(h->root, &pf, a->vf, &vf) == 0 &&
	    !strcmp(vf.bdf, a->vf_bdf) && pf.ifindex) {
		r = neutralise(nl, &pf, a->vf, e, sizeof(e));
		if (r < 0) {
			/* A VF with a partition's MAC must not go to the next
			 * partition: it keeps its record until this succeeds. */
			keep = true;
			first = fail(err, errlen, r, "%s VF %u (%s): cannot neutralise it: %s",
				     pf.ifname, a->vf, a->vf_bdf, e);
		}
	}

	r = iommu_restore_device(h, a->vf_bdf, true, &why);
	if (r < 0 && r != -ENOENT) {
		iommu_format_problem(&why, p, sizeof(p));
		keep = true;
		if (!first)
			first = fail(err, errlen, r, "%s", p);
	}
	if (!keep) {
		r = sriov_alloc_remove(partvm_runtime_dir(), a->vf_bdf);
		if (r < 0 && r != -ENOENT && !first)
			first = fail(err, errlen, r, "%s: cannot remove its pool record: %s",
				     a->vf_bdf, strerror(-r));
	}
	return first;
}

static int acquire_one(const struct iommu_host *h, struct sriov_nl *nl, const char *partition,
		       pid_t pid, const struct sriov_pool_request *q, struct sriov_alloc *a,
		       char *err, size_t errlen)
{
	struct iommu_owner owner = { .name = partition, .pid = pid };
	const char *bdfs[1];
	struct iommu_bound bound;
	struct iommu_problem why;
	struct sriov_settings s;
	struct sriov_pf pf;
	char label[SRIOV_NAME_MAX + 16], e[512] = "", p[1024];
	int r;

	section_label(q->name, label, sizeof(label));
	r = sriov_pf_find(h->root, q->pf, &pf);
	if (r == -ENODEV)
		return fail(err, errlen, r, "%s: pf %s: no such network interface or PCI device",
			    label, q->pf);
	if (r == -EOPNOTSUPP)
		return fail(err, errlen, r, "%s: pf %s is not an SR-IOV PF", label, q->pf);
	if (r < 0)
		return fail(err, errlen, r, "%s: pf %s: %s", label, q->pf, strerror(-r));
	if (!pf.ifindex && q->settings.keys)
		return fail(err, errlen, -EINVAL,
			    "%s: pf %s is no network device; its VFs take no settings", label,
			    q->pf);

	r = sriov_pool_claim(h->root, partvm_runtime_dir(), &pf, partition, q->name, pid, a);
	if (r == -EBUSY)
		return fail(err, errlen, r, "%s: no free VF on %s (%u VFs, all held or in use)",
			    label, q->pf, pf.numvfs);
	if (r < 0)
		return fail(err, errlen, r, "%s: cannot claim a VF of %s: %s", label, q->pf,
			    strerror(-r));

	if (pf.ifindex) {
		/* Neutral values for every key the section leaves out. */
		sriov_settings_neutral(&s);
		sriov_settings_merge(&q->settings, &s.cfg, &s.cfg);
		s.keys |= q->settings.keys;
		r = configure(nl, &pf, a->vf, &s, s.keys & ~q->settings.keys, e, sizeof(e));
		if (r < 0) {
			fail(err, errlen, r, "%s: %s VF %u (%s): %s", label, q->pf, a->vf, a->vf_bdf,
			     e);
			goto undo;
		}
	}

	bdfs[0] = a->vf_bdf;
	r = iommu_bind_devices(h, bdfs, 1, &owner, 0, &bound, 1, &why);
	if (r < 0) {
		iommu_format_problem(&why, p, sizeof(p));
		fail(err, errlen, r, "%s: %s VF %u: %s", label, q->pf, a->vf, p);
		goto undo;
	}
	return 0;

undo:
	(void)release_one(h, nl, a, NULL, 0);
	return r;
}

int sriov_pool_acquire(const struct iommu_host *h, const char *partition, pid_t pid,
		       const struct sriov_pool_request *reqs, size_t n, struct sriov_alloc *out,
		       char *err, size_t errlen)
{
	_cleanup_(sriov_nl_closep) struct sriov_nl *nl = NULL;
	size_t done;
	int r;

	if (err && errlen)
		err[0] = '\0';
	r = sriov_nl_open(&nl);
	if (r < 0)
		return fail(err, errlen, r, "cannot open rtnetlink: %s", strerror(-r));
	for (done = 0; done < n; done++) {
		r = acquire_one(h, nl, partition, pid, &reqs[done], &out[done], err, errlen);
		if (r < 0)
			break;
	}
	if (done == n)
		return 0;
	/* All or nothing: give back what the earlier sections took. */
	while (done-- > 0)
		(void)release_one(h, nl, &out[done], NULL, 0);
	return r;
}

int sriov_pool_release(const struct iommu_host *h, const char *partition, bool force,
		       unsigned *released, unsigned *failed, char *err, size_t errlen)
{
	_cleanup_(sriov_nl_closep) struct sriov_nl *nl = NULL;
	_cleanup_free_ struct sriov_alloc *allocs = NULL;
	unsigned ok = 0, bad = 0;
	int n, r, first = 0;

	if (err && errlen)
		err[0] = '\0';
	n = sriov_alloc_list(partvm_runtime_dir(), &allocs);
	if (n < 0)
		return fail(err, errlen, n, "cannot read %s/sriov: %s", partvm_runtime_dir(),
			    strerror(-n));
	for (int i = 0; i < n; i++) {
		const struct sriov_alloc *a = &allocs[i];

		if (partition && strcmp(a->partition, partition))
			continue;
		if (!force && a->pid != getpid() && process_alive(a->pid))
			continue;
		if (!nl) {
			r = sriov_nl_open(&nl);
			if (r < 0)
				return fail(err, errlen, r, "cannot open rtnetlink: %s", strerror(-r));
		}
		r = release_one(h, nl, a, err, errlen);
		if (r < 0) {
			bad++;
			if (!first)
				first = r;
		} else {
			ok++;
		}
	}
	if (released)
		*released = ok;
	if (failed)
		*failed = bad;
	return first;
}
