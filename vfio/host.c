// SPDX-License-Identifier: GPL-2.0-only
/*
 * The host side of a partition's passthrough, through iommu/ and sriov/:
 * pool VFs are taken (and configured) by sriov_pool_acquire, managed
 * devices are bound to vfio-pci by iommu_bind_devices for the partition
 * and this process, so that `partvm vfio restore --partition NAME` and
 * `--all` find them; at exit both are given back. Refusals are one line
 * naming the device, what is wrong and the way out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/vm/config.h"
#include "core/vm/vm.h"
#include "core/util/log.h"
#include "core/util/process.h"
#include "sriov/sriov.h"
#include "vfio/internal.h"
#include "vfio/vfio.h"


int vfio_host_read(struct vfio *v, const char *bdf, struct iommu_device *d, char *buf, size_t len)
{
	char l[2 * IOMMU_NAME_LEN];
	int r = iommu_device_read(&v->host, bdf, d);

	if (r < 0) {
		snprintf(buf, len, "%s", bdf);
		return r;
	}
	iommu_device_label(d, l, sizeof(l));
	snprintf(buf, len, "%s (%s)", bdf, l);
	return 0;
}

void vfio_host_label(struct vfio *v, const char *bdf, char *buf, size_t len)
{
	struct iommu_device d;

	(void)vfio_host_read(v, bdf, &d, buf, len);
}

/* iommu/'s one line, with a hint that fits `partvm run` where the CLI's
 * would not ("add --group"). */
static void log_problem(const struct iommu_problem *why)
{
	char line[1024];

	if (why->kind == IOMMU_PROBLEM_NOT_VIABLE) {
		log_error("%s%s%s%s: %s; pass those devices through as well, or unbind them first",
			  why->bdf, why->label[0] ? " (" : "", why->label, why->label[0] ? ")" : "",
			  why->detail);
		return;
	}
	iommu_format_problem(why, line, sizeof(line));
	log_error("%s", line);
}

static int add_entry(struct vfio *v, const char *bdf, const char *rom, bool managed, bool pool)
{
	struct vfio_entry *e;

	for (size_t i = 0; i < v->ndevs; i++)
		if (!strcmp(v->devs[i].bdf, bdf)) {
			log_error("%s: passed through twice (a [vfio] device is also a pool VF?)", bdf);
			return -EINVAL;
		}
	e = &v->devs[v->ndevs++];
	memset(e, 0, sizeof(*e));
	snprintf(e->bdf, sizeof(e->bdf), "%s", bdf);
	e->rom = rom;
	e->managed = managed;
	e->pool = pool;
	return 0;
}

static int take_pool_vfs(struct vfio *v, const struct vm_config *cfg)
{
	char err[1024];
	int r;

	const struct sriov_pool_requests *pools = &vfio_conf(cfg)->pools;

	v->allocs = calloc(pools->n, sizeof(*v->allocs));
	if (!v->allocs)
		return log_error_errno(-ENOMEM, "vfio: %m");
	r = sriov_pool_acquire(&v->host, v->partition, getpid(), pools->v, pools->n,
			       v->allocs, err, sizeof(err));
	if (r < 0) {
		log_error("partition %s: %s", v->partition, err);
		/* -ENODEV would read as "no KVM" to the caller. */
		return r == -ENODEV ? -ENXIO : r;
	}
	v->nallocs = pools->n;
	for (size_t i = 0; i < v->nallocs; i++) {
		struct sriov_pf pf;

		if (sriov_pf_find(v->host.root, v->allocs[i].pf_bdf, &pf) == 0 && pf.ifname[0] &&
		    !sriov_netdev_up(v->host.root, pf.ifname))
			log_warning("partition %s: VF %s's PF %s is down: the VF has no link until "
				    "`ip link set %s up` (an igb VF not even its MAC)",
				    v->partition, v->allocs[i].vf_bdf, pf.ifname, pf.ifname);
		r = add_entry(v, v->allocs[i].vf_bdf, NULL, false, true);
		if (r < 0)
			return r;
	}
	return 0;
}

static int bind_managed(struct vfio *v)
{
	struct iommu_owner owner = { .name = v->partition, .pid = getpid() };
	_cleanup_free_ const char **bdfs = calloc(v->ndevs, sizeof(*bdfs));
	_cleanup_free_ struct iommu_bound *out = calloc(v->ndevs, sizeof(*out));
	struct iommu_problem why;
	size_t n = 0;
	int r;

	if (!bdfs || !out)
		return log_error_errno(-ENOMEM, "vfio: %m");
	for (size_t i = 0; i < v->ndevs; i++)
		if (v->devs[i].managed)
			bdfs[n++] = v->devs[i].bdf;
	if (!n)
		return 0;
	r = iommu_bind_devices(&v->host, bdfs, n, &owner, 0, out, n, &why);
	if (r < 0) {
		log_problem(&why);
		return r == -ENODEV ? -ENXIO : r;
	}
	for (int k = 0; k < r; k++)
		for (size_t i = 0; i < v->ndevs; i++) {
			struct vfio_entry *e = &v->devs[i];

			if (strcmp(e->bdf, out[k].bdf))
				continue;
			/* Only what this start moved (or took over from a dead
			 * partvm) goes back at exit; a device that was on
			 * vfio-pci already stays there. */
			e->bound = out[k].outcome == IOMMU_BIND_BOUND ||
				   out[k].outcome == IOMMU_BIND_ADOPTED;
			memcpy(e->orig_driver, out[k].orig_driver, sizeof(e->orig_driver));
		}
	return 0;
}

/* managed = no: the device must be on vfio-pci already and not held by
 * another running partition. */
static int check_unmanaged(struct vfio *v, const struct vfio_entry *e)
{
	struct iommu_group_info gi;
	struct iommu_device d;
	char who[300];
	int r;

	r = vfio_host_read(v, e->bdf, &d, who, sizeof(who));
	if (r == -ENODEV) {
		log_error("%s: no such PCI device; see 'partvm devices' for the PCI devices of this host",
			  e->bdf);
		return -ENXIO;
	}
	if (r < 0)
		return log_error_errno(r, "%s: cannot read it from sysfs: %m", e->bdf);
	if (strcmp(d.driver, "vfio-pci")) {
		log_error("%s: is not on vfio-pci (its driver: %s) and managed = no; bind it first "
			  "('partvm vfio bind %s') or set managed = yes", who,
			  d.driver[0] ? d.driver : "none", e->bdf);
		return -EINVAL;
	}
	r = iommu_query_device(&v->host, e->bdf, &gi);
	if (r < 0)
		return log_error_errno(r, "%s: cannot read its IOMMU group: %m", who);
	if (gi.held && gi.holder_alive && gi.holder_pid != getpid()) {
		log_error("%s: held by %s%s (pid %d); stop that partition first, or use another device",
			  who, gi.holder[0] ? "partition " : "", gi.holder[0] ? gi.holder : "partvm vfio bind",
			  (int)gi.holder_pid);
		return -EBUSY;
	}
	return 0;
}

int vfio_host_claim(struct vfio *v, const struct vm_config *cfg)
{
	int r;

	snprintf(v->partition, sizeof(v->partition), "%s", cfg->name ? cfg->name : "partvm");
	const struct vfio_conf *c = vfio_conf(cfg);

	v->devs = calloc(c->ndevs + c->pools.n, sizeof(*v->devs));
	if (!v->devs)
		return log_error_errno(-ENOMEM, "vfio: %m");
	for (size_t i = 0; i < c->ndevs; i++) {
		r = add_entry(v, c->devs[i].bdf, c->devs[i].rom, c->devs[i].managed, false);
		if (r < 0)
			return r;
		v->devs[v->ndevs - 1].rom_off = c->devs[i].rom_off;
	}
	if (c->pools.n) {
		r = take_pool_vfs(v, cfg);
		if (r < 0)
			return r;
	}
	r = bind_managed(v);
	if (r < 0)
		return r;
	for (size_t i = 0; i < v->ndevs; i++) {
		if (v->devs[i].managed || v->devs[i].pool)
			continue;
		r = check_unmanaged(v, &v->devs[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

void vfio_host_release(struct vfio *v)
{
	if (v->vm && v->vm->privileges_dropped) {
		/* Giving devices back takes root, which partvm gave up: the
		 * restorer it left as root (or ExecStopPost) does it. */
		log_info("vfio: partition %s's devices go back to their drivers once partvm has exited "
			 "(partvm vfio restore --partition %s)", v->partition, v->partition);
		return;
	}
	for (size_t i = v->ndevs; i-- > 0;) {
		struct vfio_entry *e = &v->devs[i];
		struct iommu_problem why;

		if (!e->bound)
			continue;
		if (iommu_restore_device(&v->host, e->bdf, false, &why) < 0) {
			log_problem(&why);
			continue;
		}
		e->bound = false;
		/* Quiet: a refusal at start stays one line. */
		log_debug("vfio %s: given back to %s", e->bdf,
			  e->orig_driver[0] ? e->orig_driver : "no driver");
	}
	if (v->nallocs) {
		unsigned ok = 0, bad = 0;
		char err[1024];

		if (sriov_pool_release(&v->host, v->partition, false, &ok, &bad, err, sizeof(err)) < 0)
			log_error("partition %s: %s; 'partvm vfio restore --partition %s' retries",
				  v->partition, err, v->partition);
		if (ok)
			log_debug("vfio: %u pool VF(s) neutralised and returned to their pool", ok);
		v->nallocs = 0;
	}
}

/* Which process has /dev/vfio/GROUP open? 0 when none is found. */
static pid_t group_opener(struct vfio *v, int group, char *comm, size_t len)
{
	char want[32];

	snprintf(want, sizeof(want), "/dev/vfio/%d", group);
	return process_find_opener(v->host.root, want, getpid(), comm, len);
}

void vfio_host_explain_open(struct vfio *v, const struct vfio_entry *e, int r)
{
	struct iommu_group_info gi;
	char who[300], comm[64];
	pid_t pid;

	vfio_host_label(v, e->bdf, who, sizeof(who));
	if (iommu_query_device(&v->host, e->bdf, &gi) < 0 || gi.group < 0) {
		log_error("%s: has no IOMMU group; enable the IOMMU (see 'partvm host check')", who);
		return;
	}
	switch (r) {
	case -ENOENT:
		log_error("%s: %s does not exist: the device is not on vfio-pci", who, gi.vfio_path);
		return;
	case -EPERM: {
		char list[512] = "";
		size_t used = 0;

		for (size_t i = 0; i < gi.viability.nblockers && used < sizeof(list); i++)
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s on %s",
						 i ? ", " : "", gi.viability.blockers[i].bdf,
						 gi.viability.blockers[i].driver);
		log_error("%s: its IOMMU group %d is not viable: %s; pass those devices through as "
			  "well (on vfio-pci), or unbind them first", who, gi.group,
			  list[0] ? list : "another device of the group is on a host driver");
		return;
	}
	case -EBUSY:
		if (gi.held && gi.holder_alive && gi.holder_pid != getpid()) {
			log_error("%s: held by %s%s (pid %d); stop that partition first, or use another "
				  "device", who, gi.holder[0] ? "partition " : "",
				  gi.holder[0] ? gi.holder : "partvm vfio bind", (int)gi.holder_pid);
			return;
		}
		pid = group_opener(v, gi.group, comm, sizeof(comm));
		if (pid) {
			log_error("%s: its IOMMU group %d is open in process %d (%s), which is not a "
				  "partvm partition; stop it first", who, gi.group, (int)pid, comm);
			return;
		}
		log_error("%s: its IOMMU group %d is in use by another process", who, gi.group);
		return;
	default:
		log_error_errno(r, "%s: cannot open it through VFIO (%s): %m", who, gi.vfio_path);
	}
}
