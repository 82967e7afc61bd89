// SPDX-License-Identifier: GPL-2.0-only
/*
 * The state files partvm reads back after a crash (`partvm vfio restore`,
 * `partvm sriov release`): the key=value parser itself over a table with
 * every field type (and over a full table of 64 keys), vfio bind records
 * and SR-IOV pool allocations, from a string and from a file in a private
 * runtime directory through the loaders, which read at most 1 KiB.
 *
 * Checks: what parses has every key once and values inside their limits;
 * a record that parses formats back to text that parses to the same
 * record; a bind record names a canonical PCI address; the loaders agree
 * with the parsers on the text they read.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/statefile.h"
#include "iommu/iommu.h"
#include "sriov/sriov.h"
#include "fuzz.h"

#define VF_BDF "0000:00:12.2"
#define DEV_BDF "0000:00:12.0"
#define LOAD_MAX 1024           /* what the loaders read */

static struct iommu_host host;
static char runtime[64], vfio_file[PATH_MAX], sriov_dir[PATH_MAX], sriov_file[PATH_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	snprintf(runtime, sizeof(runtime), "%s", fuzz_scratch_dir("fuzz_statefile"));
	snprintf(host.state_dir, sizeof(host.state_dir), "%s/vfio", runtime);
	snprintf(sriov_dir, sizeof(sriov_dir), "%s/sriov", runtime);
	if (mkdir(host.state_dir, 0755) < 0 || mkdir(sriov_dir, 0755) < 0)
		abort();
	snprintf(vfio_file, sizeof(vfio_file), "%s/%s", host.state_dir, DEV_BDF);
	snprintf(sriov_file, sizeof(sriov_file), "%s/%s", sriov_dir, VF_BDF);
	return 0;
}

static void write_file(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

/* Every field type, with bounds that are not the type's. */
static void generic(const char *text)
{
	char s[8];
	uint32_t u32 = 0;
	uint64_t u64 = 0;
	int i = -1;
	const struct statefile_field f[] = {
		{ "s", STATEFILE_STRING, s, sizeof(s), 0 },
		{ "u32", STATEFILE_UINT, &u32, sizeof(u32), 100000 },
		{ "u64", STATEFILE_UINT, &u64, sizeof(u64), ULLONG_MAX },
		{ "i", STATEFILE_INT, &i, sizeof(i), INT32_MAX },
	};
	int r;

	r = statefile_parse(text, f, ARRAY_SIZE(f));
	if (r < 0 && r != -EBADMSG)
		abort();
	if (r == 0 && (strlen(s) >= sizeof(s) || u32 > 100000 || i < 0))
		abort();
}

/* A table of the most keys the parser takes: 64, "k0" to "k63". */
static void full_table(const char *text)
{
	static char names[64][4];
	struct statefile_field f[64];
	unsigned v[64];
	int r;

	for (unsigned k = 0; k < 64; k++) {
		snprintf(names[k], sizeof(names[k]), "k%u", k);
		v[k] = UINT_MAX;
		f[k] = (struct statefile_field){ names[k], STATEFILE_UINT, &v[k], sizeof(v[k]), 7 };
	}
	r = statefile_parse(text, f, 64);
	if (r < 0 && r != -EBADMSG)
		abort();
	for (unsigned k = 0; r == 0 && k < 64; k++)
		if (v[k] > 7)
			abort();
}

static void bind_record(const char *text, const uint8_t *data, size_t size)
{
	struct iommu_record rec, again, loaded;
	char buf[1024], canon[IOMMU_BDF_LEN];
	int r, n, lr;

	r = iommu_record_parse(text, &rec);
	if (r < 0 && r != -EBADMSG)
		abort();
	if (r == 0) {
		if (iommu_parse_bdf(rec.bdf, canon) < 0 || strcmp(canon, rec.bdf) || rec.pid < 0)
			abort();
		n = iommu_record_format(&rec, buf, sizeof(buf));
		if (n < 0 || iommu_record_parse(buf, &again) < 0 || memcmp(&rec, &again, sizeof(rec)))
			abort();
	}

	/* The loader reads the file (at most LOAD_MAX - 1 bytes make a
	 * record) and insists that it names the device it is named after. */
	write_file(vfio_file, data, size);
	lr = iommu_record_load(&host, DEV_BDF, &loaded);
	if (size >= LOAD_MAX) {
		if (lr != -EBADMSG)
			abort();
	} else if (r < 0 ? lr != r : lr != (strcmp(rec.bdf, DEV_BDF) ? -EBADMSG : 0)) {
		abort();
	}
	if (lr == 0 && memcmp(&loaded, &rec, sizeof(rec)))
		abort();
}

static void pool_record(const char *text, const uint8_t *data, size_t size)
{
	struct sriov_alloc a, again, loaded;
	char buf[1024];
	int r, n, lr;

	r = sriov_alloc_parse(text, &a);
	if (r < 0 && r != -EBADMSG)
		abort();
	if (r == 0) {
		if (!a.vf_bdf[0] || a.vf > UINT16_MAX || a.pid < 0)
			abort();
		n = sriov_alloc_format(&a, buf, sizeof(buf));
		if (n < 0 || sriov_alloc_parse(buf, &again) < 0 || memcmp(&a, &again, sizeof(a)))
			abort();
	}

	write_file(sriov_file, data, size);
	lr = sriov_alloc_load(runtime, VF_BDF, &loaded);
	if (size >= LOAD_MAX ? lr != -EBADMSG : lr != r)
		abort();
	if (lr == 0 && memcmp(&loaded, &a, sizeof(a)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *)data, size);

	if (!text)
		abort();
	generic(text);
	full_table(text);
	bind_record(text, data, size);
	pool_record(text, data, size);
	free(text);
	return 0;
}
