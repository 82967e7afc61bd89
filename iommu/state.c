// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bind records: one small key=value file per device partvm moved to
 * vfio-pci, written before the device is touched, so that any process, at
 * any later time (after a kill -9, at boot), can give it back.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cleanup.h"
#include "core/sysfs.h"
#include "iommu/internal.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

#define RECORD_VERSION 1

int iommu_record_format(const struct iommu_record *r, char *buf, size_t len)
{
	int n = snprintf(buf, len,
			 "# partvm vfio bind record\n"
			 "version=%d\nbdf=%s\ndriver=%s\ndriver_override=%s\nowner=%s\npid=%d\nstarttime=%llu\n",
			 RECORD_VERSION, r->bdf, r->driver, r->driver_override, r->owner, (int)r->pid,
			 r->starttime);
	return n < 0 || (size_t)n >= len ? -ENOBUFS : n;
}

/* Copy VALUE into a fixed field, refusing what would not fit. */
static int set_field(char *dst, size_t len, const char *value)
{
	if (strlen(value) >= len)
		return -EBADMSG;
	strcpy(dst, value);
	return 0;
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EBADMSG;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end || *out > max ? -EBADMSG : 0;
}

int iommu_record_parse(const char *text, struct iommu_record *r)
{
	enum { K_VERSION = 1, K_BDF = 2, K_DRIVER = 4, K_OVERRIDE = 8, K_OWNER = 16, K_PID = 32, K_START = 64 };
	_cleanup_free_ char *copy = strdup(text);
	unsigned seen = 0;
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long v;
		char *eq;
		int rc = 0;

		if (line[0] == '#' || line[0] == '\0')
			continue;
		eq = strchr(line, '=');
		if (!eq)
			return -EBADMSG;
		*eq++ = '\0';
		if (!strcmp(line, "version")) {
			rc = parse_uint(eq, INT32_MAX, &v);
			if (!rc && v != RECORD_VERSION)
				rc = -EBADMSG;
			seen |= K_VERSION;
		} else if (!strcmp(line, "bdf")) {
			rc = iommu_parse_bdf(eq, r->bdf) < 0 ? -EBADMSG : 0;
			seen |= K_BDF;
		} else if (!strcmp(line, "driver")) {
			rc = set_field(r->driver, sizeof(r->driver), eq);
			seen |= K_DRIVER;
		} else if (!strcmp(line, "driver_override")) {
			rc = set_field(r->driver_override, sizeof(r->driver_override), eq);
			seen |= K_OVERRIDE;
		} else if (!strcmp(line, "owner")) {
			rc = set_field(r->owner, sizeof(r->owner), eq);
			seen |= K_OWNER;
		} else if (!strcmp(line, "pid")) {
			rc = parse_uint(eq, INT32_MAX, &v);
			r->pid = (pid_t)v;
			seen |= K_PID;
		} else if (!strcmp(line, "starttime")) {
			rc = parse_uint(eq, ULLONG_MAX, &v);
			r->starttime = v;
			seen |= K_START;
		} else {
			rc = -EBADMSG;
		}
		if (rc < 0)
			return rc;
	}
	return seen == 127 ? 0 : -EBADMSG;
}

static int mkdir_p(const char *dir)
{
	char p[PATH_MAX];

	if (strlen(dir) >= sizeof(p))
		return -ENAMETOOLONG;
	strcpy(p, dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return mkdir(p, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

int iommu_record_save(const struct iommu_host *h, const struct iommu_record *r)
{
	char text[1024], tmp[PATH_MAX], final[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int n, rc;

	n = iommu_record_format(r, text, sizeof(text));
	if (n < 0)
		return n;
	rc = mkdir_p(h->state_dir);
	if (rc < 0)
		return rc;
	if (iommu_path(final, sizeof(final), h->state_dir, "/%s", r->bdf) < 0 ||
	    iommu_path(tmp, sizeof(tmp), h->state_dir, "/.%s.%d.tmp", r->bdf, (int)getpid()) < 0)
		return -ENAMETOOLONG;
	/* A reader sees the old record or the new one, never a torn one. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)n) != n || fsync(fd) < 0) {
		rc = errno ? -errno : -EIO;
		unlink(tmp);
		return rc;
	}
	if (rename(tmp, final) < 0) {
		rc = -errno;
		unlink(tmp);
		return rc;
	}
	return 0;
}

int iommu_record_load(const struct iommu_host *h, const char *bdf, struct iommu_record *r)
{
	char p[PATH_MAX], text[1024];
	_cleanup_close_ int fd = -1;
	ssize_t n;
	int rc;

	if (iommu_path(p, sizeof(p), h->state_dir, "/%s", bdf) < 0)
		return -ENAMETOOLONG;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n == sizeof(text) - 1)
		return -EBADMSG;
	text[n] = '\0';
	rc = iommu_record_parse(text, r);
	if (rc < 0)
		return rc;
	/* The file name is the key; a record naming another device is corrupt. */
	return strcmp(r->bdf, bdf) ? -EBADMSG : 0;
}

int iommu_record_remove(const struct iommu_host *h, const char *bdf)
{
	char p[PATH_MAX];

	if (iommu_path(p, sizeof(p), h->state_dir, "/%s", bdf) < 0)
		return -ENAMETOOLONG;
	return unlink(p) < 0 && errno != ENOENT ? -errno : 0;
}

static int cmp_record(const void *a, const void *b)
{
	return strcmp(((const struct iommu_record *)a)->bdf, ((const struct iommu_record *)b)->bdf);
}

int iommu_record_list(const struct iommu_host *h, struct iommu_record **out)
{
	_cleanup_(closedirp) DIR *d = opendir(h->state_dir);
	_cleanup_free_ struct iommu_record *recs = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	*out = NULL;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char canon[IOMMU_BDF_LEN];
		int rc;

		if (iommu_parse_bdf(de->d_name, canon) < 0 || strcmp(canon, de->d_name))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 8;
			void *np = realloc(recs, nc * sizeof(*recs));
			if (!np)
				return -ENOMEM;
			recs = np;
			cap = nc;
		}
		rc = iommu_record_load(h, canon, &recs[n]);
		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			return rc;
		n++;
	}
	if (n)
		qsort(recs, n, sizeof(*recs), cmp_record);
	*out = TAKE_PTR(recs);
	return (int)n;
}

/* proc(5): field 22 of /proc/PID/stat, counted after the parenthesised
 * command name, which may itself contain spaces and parentheses. */
static int process_starttime(const char *root, pid_t pid, unsigned long long *out)
{
	char rel[64], buf[1024];
	const char *s;
	int r;

	snprintf(rel, sizeof(rel), "/proc/%d/stat", (int)pid);
	r = sysfs_read(root, rel, buf, sizeof(buf));
	if (r < 0)
		return r;
	s = strrchr(buf, ')');
	if (!s)
		return -EBADMSG;
	/* After ")": field 3 (state) ... field 22 (starttime). */
	if (sscanf(s + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   out) != 1)
		return -EBADMSG;
	return 0;
}

int iommu_record_owner_starttime(const struct iommu_host *h, pid_t pid, unsigned long long *out)
{
	return process_starttime(h->root, pid, out);
}

bool iommu_record_owner_alive(const struct iommu_host *h, const struct iommu_record *r)
{
	unsigned long long st;

	if (r->pid <= 0)
		return false;
	return process_starttime(h->root, r->pid, &st) == 0 && st == r->starttime;
}

int iommu_state_lock(const struct iommu_host *h)
{
	char p[PATH_MAX];
	int fd, r;

	r = mkdir_p(h->state_dir);
	if (r < 0)
		return r;
	if (iommu_path(p, sizeof(p), h->state_dir, "/.lock") < 0)
		return -ENAMETOOLONG;
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
