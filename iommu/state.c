// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bind records: one small key=value file per device partvm moved to
 * vfio-pci, written before the device is touched, so that any process, at
 * any later time (after a kill -9, at boot), can give it back.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/process.h"
#include "core/util/statefile.h"
#include "core/util/sysfs.h"
#include "iommu/internal.h"


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

int iommu_record_parse(const char *text, struct iommu_record *r)
{
	unsigned version = 0;
	const struct statefile_field fields[] = {
		{ "version", STATEFILE_UINT, &version, sizeof(version), INT32_MAX },
		{ "bdf", STATEFILE_STRING, r->bdf, sizeof(r->bdf), 0 },
		{ "driver", STATEFILE_STRING, r->driver, sizeof(r->driver), 0 },
		{ "driver_override", STATEFILE_STRING, r->driver_override, sizeof(r->driver_override), 0 },
		{ "owner", STATEFILE_STRING, r->owner, sizeof(r->owner), 0 },
		{ "pid", STATEFILE_INT, &r->pid, sizeof(r->pid), INT32_MAX },
		{ "starttime", STATEFILE_UINT, &r->starttime, sizeof(r->starttime), ULLONG_MAX },
	};
	char canon[IOMMU_BDF_LEN];
	int rc;

	memset(r, 0, sizeof(*r));
	rc = statefile_parse(text, fields, ARRAY_SIZE(fields));
	if (rc < 0)
		return rc;
	if (version != RECORD_VERSION || iommu_parse_bdf(r->bdf, canon) < 0)
		return -EBADMSG;
	strcpy(r->bdf, canon);
	return 0;
}

int iommu_record_save(const struct iommu_host *h, const struct iommu_record *r)
{
	char text[1024];
	int n;

	n = iommu_record_format(r, text, sizeof(text));
	if (n < 0)
		return n;
	return statefile_write(h->state_dir, r->bdf, text);
}

int iommu_record_load(const struct iommu_host *h, const char *bdf, struct iommu_record *r)
{
	char text[1024];
	int rc;

	rc = statefile_read(h->state_dir, bdf, text, sizeof(text));
	if (rc < 0)
		return rc;
	rc = iommu_record_parse(text, r);
	if (rc < 0)
		return rc;
	/* The file name is the key; a record naming another device is corrupt. */
	return strcmp(r->bdf, bdf) ? -EBADMSG : 0;
}

int iommu_record_remove(const struct iommu_host *h, const char *bdf)
{
	int rc = statefile_remove(h->state_dir, bdf);

	return rc == -ENOENT ? 0 : rc;
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

int iommu_record_owner_starttime(const struct iommu_host *h, pid_t pid, unsigned long long *out)
{
	return process_read_stat(h->root, pid, NULL, out);
}

bool iommu_record_owner_alive(const struct iommu_host *h, const struct iommu_record *r)
{
	unsigned long long st;
	char state;

	if (r->pid <= 0)
		return false;
	/* A zombie is gone: its devices are closed (a restorer waiting on its
	 * pidfd wakes before its parent reaps it). */
	return process_read_stat(h->root, r->pid, &state, &st) == 0 && st == r->starttime &&
	       !process_state_exited(state);
}

int iommu_state_lock(const struct iommu_host *h)
{
	return statefile_lock(h->state_dir);
}
