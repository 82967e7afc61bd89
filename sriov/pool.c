// SPDX-License-Identifier: GPL-2.0-only
/*
 * VF pools: allocation records under RUNTIME/sriov and the lock that makes
 * "find a free VF, record it" one step, so two partitions starting at the
 * same moment never take the same VF.
 */
#include "sriov/sriov.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/process.h"
#include "core/util/statefile.h"
#include "core/util/sysfs.h"
#include "iommu/iommu.h"


static int pool_dir(const char *runtime, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/sriov", runtime);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int sriov_alloc_format(const struct sriov_alloc *a, char *buf, size_t len)
{
	int n = snprintf(buf, len,
			 "# partvm sriov pool allocation\n"
			 "vf_bdf=%s\npf_bdf=%s\nvf=%u\npartition=%s\nsection=%s\npid=%d\n",
			 a->vf_bdf, a->pf_bdf, a->vf, a->partition, a->section, (int)a->pid);
	return n < 0 || (size_t)n >= len ? -ENOBUFS : n;
}

int sriov_alloc_parse(const char *text, struct sriov_alloc *a)
{
	const struct statefile_field fields[] = {
		{ "vf_bdf", STATEFILE_STRING, a->vf_bdf, sizeof(a->vf_bdf), 0 },
		{ "pf_bdf", STATEFILE_STRING, a->pf_bdf, sizeof(a->pf_bdf), 0 },
		{ "vf", STATEFILE_UINT, &a->vf, sizeof(a->vf), UINT16_MAX },
		{ "partition", STATEFILE_STRING, a->partition, sizeof(a->partition), 0 },
		{ "section", STATEFILE_STRING, a->section, sizeof(a->section), 0 },
		{ "pid", STATEFILE_INT, &a->pid, sizeof(a->pid), INT_MAX },
	};
	int r;

	memset(a, 0, sizeof(*a));
	r = statefile_parse(text, fields, ARRAY_SIZE(fields));
	if (r < 0)
		return r;
	return a->vf_bdf[0] ? 0 : -EBADMSG;
}

int sriov_alloc_load(const char *runtime, const char *vf_bdf, struct sriov_alloc *a)
{
	char dir[PATH_MAX], text[1024];
	int r;

	r = pool_dir(runtime, dir, sizeof(dir));
	if (r < 0)
		return r;
	r = statefile_read(dir, vf_bdf, text, sizeof(text));
	if (r < 0)
		return r;
	return sriov_alloc_parse(text, a);
}

int sriov_alloc_remove(const char *runtime, const char *vf_bdf)
{
	char dir[PATH_MAX];
	int r;

	r = pool_dir(runtime, dir, sizeof(dir));
	if (r < 0)
		return r;
	return statefile_remove(dir, vf_bdf);
}

static int alloc_save(const char *runtime, const struct sriov_alloc *a)
{
	char dir[PATH_MAX], text[1024];
	int n, r;

	r = pool_dir(runtime, dir, sizeof(dir));
	if (r < 0)
		return r;
	n = sriov_alloc_format(a, text, sizeof(text));
	if (n < 0)
		return n;
	return statefile_write(dir, a->vf_bdf, text);
}

static int cmp_alloc(const void *x, const void *y)
{
	return strcmp(((const struct sriov_alloc *)x)->vf_bdf,
		      ((const struct sriov_alloc *)y)->vf_bdf);
}

int sriov_alloc_list(const char *runtime, struct sriov_alloc **out)
{
	_cleanup_(closedirp) DIR *d = NULL;
	_cleanup_free_ struct sriov_alloc *v = NULL;
	size_t n = 0, cap = 0;
	char dir[PATH_MAX];
	struct dirent *e;
	int r;

	*out = NULL;
	r = pool_dir(runtime, dir, sizeof(dir));
	if (r < 0)
		return r;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		struct sriov_alloc a;

		/* Skip .lock and a temporary file a killed writer left. */
		if (statefile_is_private(e->d_name))
			continue;
		if (sriov_alloc_load(runtime, e->d_name, &a) < 0) {
			/* An unreadable record still marks its VF as taken;
			 * keep its name so a release can clear it. */
			memset(&a, 0, sizeof(a));
			snprintf(a.vf_bdf, sizeof(a.vf_bdf), "%.*s", (int)sizeof(a.vf_bdf) - 1, e->d_name);
		}
		if (n == cap) {
			struct sriov_alloc *nv;

			cap = cap ? cap * 2 : 8;
			nv = reallocarray(v, cap, sizeof(*v));
			if (!nv)
				return -ENOMEM;
			v = nv;
		}
		v[n++] = a;
	}
	if (n > INT_MAX)
		return -E2BIG;
	if (n)
		qsort(v, n, sizeof(*v), cmp_alloc);
	*out = TAKE_PTR(v);
	return (int)n;
}

int sriov_pool_lock(const char *runtime)
{
	char dir[PATH_MAX];
	int r;

	r = pool_dir(runtime, dir, sizeof(dir));
	if (r < 0)
		return r;
	return statefile_lock(dir);
}

bool sriov_netdev_up(const char *root, const char *ifname)
{
	char p[PATH_MAX];
	uint64_t flags;

	if (!ifname[0])
		return false;
	snprintf(p, sizeof(p), "/sys/class/net/%s/flags", ifname);
	return sysfs_read_u64(root, p, &flags) == 0 && (flags & IFF_UP);
}

int sriov_vf_holder(const char *root, const char *runtime, const struct sriov_vf *vf, char *who,
		    size_t len)
{
	struct iommu_host h = { 0 };
	struct iommu_record rec;
	struct sriov_alloc a;
	int r;

	r = sriov_alloc_load(runtime, vf->bdf, &a);
	if (r == 0) {
		snprintf(who, len, "partition %s (pool '%s'%s)", a.partition, a.section,
			 a.pid > 0 && !process_alive(a.pid) ? ", its process is gone" : "");
		return 1;
	}
	if (r != -ENOENT) {
		snprintf(who, len, "an unreadable pool record in %s/sriov", runtime);
		return 1;
	}
	if (strcmp(vf->driver, "vfio-pci"))
		return 0;
	/* Bound by partvm (a bind record names the owner) or by someone
	 * else: either way a guest may be using it. */
	snprintf(h.root, sizeof(h.root), "%s", root);
	snprintf(h.state_dir, sizeof(h.state_dir), "%s/vfio", runtime);
	if (iommu_record_load(&h, vf->bdf, &rec) == 0 && rec.owner[0])
		snprintf(who, len, "vfio-pci for partition %s%s", rec.owner,
			 iommu_record_owner_alive(&h, &rec) ? " (running)" : "");
	else if (iommu_record_load(&h, vf->bdf, &rec) == 0)
		snprintf(who, len, "vfio-pci (bound by partvm for no partition)");
	else
		snprintf(who, len, "vfio-pci (not bound by partvm)");
	return 1;
}

int sriov_pool_claim(const char *root, const char *runtime, const struct sriov_pf *pf,
		     const char *partition, const char *section, pid_t pid,
		     struct sriov_alloc *out)
{
	_cleanup_close_ int lock = -1;
	char who[256];

	if (strlen(partition) >= sizeof(out->partition) || strlen(section) >= sizeof(out->section))
		return -ENAMETOOLONG;
	lock = sriov_pool_lock(runtime);
	if (lock < 0)
		return lock;

	for (unsigned i = 0; i < pf->numvfs; i++) {
		struct sriov_vf vf;
		int r = sriov_vf_get(root, pf, i, &vf);

		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		r = sriov_vf_holder(root, runtime, &vf, who, sizeof(who));
		if (r < 0)
			return r;
		if (r > 0 || sriov_netdev_up(root, vf.ifname))
			continue;

		memset(out, 0, sizeof(*out));
		snprintf(out->vf_bdf, sizeof(out->vf_bdf), "%s", vf.bdf);
		snprintf(out->pf_bdf, sizeof(out->pf_bdf), "%s", pf->bdf);
		out->vf = i;
		strcpy(out->partition, partition);
		strcpy(out->section, section);
		out->pid = pid;
		return alloc_save(runtime, out);
	}
	return -EBUSY;
}
