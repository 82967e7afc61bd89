// SPDX-License-Identifier: GPL-2.0-only
/* Where the host's sysfs, procfs, /dev and partvm's bind records live. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util/sysfs.h"
#include "iommu/internal.h"

/* A bind waits for the probe; under the lab's TCG emulation a probe that
 * creates a /dev node has been seen to take a few hundred milliseconds. */
#define BIND_TIMEOUT_MS 10000

int iommu_host_init(struct iommu_host *h)
{
	int n;

	memset(h, 0, sizeof(*h));
	n = snprintf(h->root, sizeof(h->root), "%s", partvm_sysfs_root());
	if (n < 0 || (size_t)n >= sizeof(h->root))
		return -ENAMETOOLONG;
	n = snprintf(h->state_dir, sizeof(h->state_dir), "%s/vfio", partvm_runtime_dir());
	if (n < 0 || (size_t)n >= sizeof(h->state_dir))
		return -ENAMETOOLONG;
	h->timeout_ms = BIND_TIMEOUT_MS;
	return 0;
}

int iommu_path(char *buf, size_t len, const char *root, const char *fmt, ...)
{
	va_list ap;
	size_t rl = strlen(root);
	int n;

	if (rl >= len)
		return -ENAMETOOLONG;
	memcpy(buf, root, rl);
	va_start(ap, fmt);
	n = vsnprintf(buf + rl, len - rl, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len - rl ? -ENAMETOOLONG : 0;
}

bool iommu_exists(const char *root, const char *fmt, ...)
{
	char rel[PATH_MAX], p[PATH_MAX];
	struct stat st;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(rel))
		return false;
	if (iommu_path(p, sizeof(p), root, "%s", rel) < 0)
		return false;
	return stat(p, &st) == 0;
}

bool iommu_driver_is_vfio_safe(const char *driver)
{
	return !driver[0] || !strcmp(driver, "vfio-pci") || !strcmp(driver, "pci-stub");
}
