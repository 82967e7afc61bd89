// SPDX-License-Identifier: GPL-2.0-only
/*
 * VF pools: allocation records under RUNTIME/sriov and the lock that makes
 * "find a free VF, record it" one step, so two partitions starting at the
 * same moment never take the same VF.
 */
#include "sriov/sriov.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "core/sysfs.h"
#include "iommu/iommu.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

static int pool_dir(const char *runtime, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/sriov", runtime);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int sriov_alloc_format(const struct sriov_alloc *a, char *buf, size_t len)
{
	int n = snprintf(buf, len,
			 "# partvm sriov pool allocation\n"
			 "vf_bdf=%s\npf_bdf=%s\nvf=%u\npartition=%s\nsection=%s\npid=%d\n",
			 a->vf_bdf, a->pf_bdf, a->vf, a->partition, a->section, (int)a->pid);
	return n < 0 || (size_t)n >= len ? -ENOBUFS : n;
}

static int copy_field(char *dst, size_t len, const char *v)
{
	if (strlen(v) >= len)
		return -EBADMSG;
	strcpy(dst, v);
	return 0;
}

static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EBADMSG;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || *out > max ? -EBADMSG : 0;
}

int sriov_alloc_parse(const char *text, struct sriov_alloc *a)
{
	enum { F_VF_BDF = 1, F_PF_BDF = 2, F_VF = 4, F_PART = 8, F_SECTION = 16, F_PID = 32 };
	_cleanup_free_ char *copy = strdup(text);
	unsigned seen = 0;
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	memset(a, 0, sizeof(*a));
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long v;
		char *eq;
		int r;

		if (line[0] == '#')
			continue;
		eq = strchr(line, '=');
		if (!eq)
			return -EBADMSG;
		*eq++ = '\0';
		if (!strcmp(line, "vf_bdf")) {
			r = copy_field(a->vf_bdf, sizeof(a->vf_bdf), eq);
			seen |= F_VF_BDF;
		} else if (!strcmp(line, "pf_bdf")) {
			r = copy_field(a->pf_bdf, sizeof(a->pf_bdf), eq);
			seen |= F_PF_BDF;
		} else if (!strcmp(line, "vf")) {
			r = parse_num(eq, UINT16_MAX, &v);
			a->vf = (unsigned)v;
			seen |= F_VF;
		} else if (!strcmp(line, "partition")) {
			r = copy_field(a->partition, sizeof(a->partition), eq);
			seen |= F_PART;
		} else if (!strcmp(line, "section")) {
			r = copy_field(a->section, sizeof(a->section), eq);
			seen |= F_SECTION;
		} else if (!strcmp(line, "pid")) {
			r = parse_num(eq, INT_MAX, &v);
			a->pid = (pid_t)v;
			seen |= F_PID;
		} else {
			r = -EBADMSG;
		}
		if (r < 0)
			return r;
	}
	if (seen != (F_VF_BDF | F_PF_BDF | F_VF | F_PART | F_SECTION | F_PID) || !a->vf_bdf[0])
		return -EBADMSG;
	return 0;
}

static int record_path(const char *runtime, const char *vf_bdf, char *buf, size_t len)
{
	int n;

	if (!*vf_bdf || strchr(vf_bdf, '/') || vf_bdf[0] == '.')
		return -EINVAL;
	n = snprintf(buf, len, "%s/sriov/%s", runtime, vf_bdf);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int sriov_alloc_load(const char *runtime, const char *vf_bdf, struct sriov_alloc *a)
{
	char p[PATH_MAX], text[1024];
	int r;

	r = record_path(runtime, vf_bdf, p, sizeof(p));
	if (r < 0)
		return r;
	r = sysfs_read("", p, text, sizeof(text));
	if (r < 0)
		return r;
	return sriov_alloc_parse(text, a);
}

int sriov_alloc_remove(const char *runtime, const char *vf_bdf)
{
	char p[PATH_MAX];
	int r;

	r = record_path(runtime, vf_bdf, p, sizeof(p));
	if (r < 0)
		return r;
	return unlink(p) < 0 ? -errno : 0;
}

/* Temporary file + rename: a reader sees no record or a whole one. */
static int alloc_save(const char *runtime, const struct sriov_alloc *a)
{
	char p[PATH_MAX], tmp[PATH_MAX + 8], text[1024];
	_cleanup_close_ int fd = -1;
	int n, r;

	r = record_path(runtime, a->vf_bdf, p, sizeof(p));
	if (r < 0)
		return r;
	n = sriov_alloc_format(a, text, sizeof(text));
	if (n < 0)
		return n;
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)n) != n) {
		r = errno ? -errno : -EIO;
		unlink(tmp);
		return r;
	}
	if (rename(tmp, p) < 0) {
		r = -errno;
		unlink(tmp);
		return r;
	}
	return 0;
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

		size_t l = strlen(e->d_name);

		/* Skip .lock and a temporary file a killed writer left. */
		if (e->d_name[0] == '.' || (l > 4 && !strcmp(e->d_name + l - 4, ".tmp")))
			continue;
		if (sriov_alloc_load(runtime, e->d_name, &a) < 0) {
			/* An unreadable record still marks its VF as taken;
			 * keep its name so a release can clear it. */
			memset(&a, 0, sizeof(a));
			snprintf(a.vf_bdf, sizeof(a.vf_bdf), "%s", e->d_name);
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
	char dir[PATH_MAX], p[PATH_MAX + 8];
	int fd, r;

	r = pool_dir(runtime, dir, sizeof(dir));
	if (r < 0)
		return r;
	r = mkdir_p(dir);
	if (r < 0)
		return r;
	snprintf(p, sizeof(p), "%s/.lock", dir);
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* Is the VF's network interface up (in use by the host)? */
static bool netdev_up(const char *root, const char *ifname)
{
	char p[PATH_MAX];
	uint64_t flags;

	if (!ifname[0])
		return false;
	snprintf(p, sizeof(p), "/sys/class/net/%s/flags", ifname);
	return sysfs_read_u64(root, p, &flags) == 0 && (flags & IFF_UP);
}

static bool process_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
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
	if (iommu_record_load(&h, vf->bdf, &rec) == 0)
		snprintf(who, len, "vfio-pci for %s%s%s", rec.owner[0] ? "partition " : "",
			 rec.owner[0] ? rec.owner : "'partvm vfio bind'",
			 iommu_record_owner_alive(&h, &rec) ? " (running)" : "");
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
		if (r > 0 || netdev_up(root, vf.ifname))
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
