// SPDX-License-Identifier: GPL-2.0-only
#include "core/util/sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util/cleanup.h"

const char *partvm_sysfs_root(void)
{
	const char *e = getenv("PARTVM_SYSFS_ROOT");
	return e ? e : "";
}

const char *partvm_runtime_dir(void)
{
	const char *e = getenv("PARTVM_RUNTIME_DIR");
	return e && *e ? e : "/run/partvm";
}

static int join(const char *root, const char *path, char *out, size_t len)
{
	int n = snprintf(out, len, "%s%s", root ? root : "", path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int sysfs_read(const char *root, const char *path, char *buf, size_t len)
{
	char p[PATH_MAX];
	_cleanup_close_ int fd = -1;
	ssize_t n;
	int r;

	if (len == 0)
		return -EINVAL;
	r = join(root, path, p, sizeof(p));
	if (r < 0)
		return r;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len);
	if (n < 0)
		return -errno;
	if ((size_t)n == len)
		return -E2BIG;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return (int)n;
}

int sysfs_write(const char *root, const char *path, const char *value)
{
	char p[PATH_MAX];
	_cleanup_close_ int fd = -1;
	size_t len = strlen(value);
	ssize_t n;
	int r;

	r = join(root, path, p, sizeof(p));
	if (r < 0)
		return r;
	fd = open(p, O_WRONLY | O_CLOEXEC | O_TRUNC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int sysfs_read_u64(const char *root, const char *path, uint64_t *out)
{
	char buf[64], *end;
	unsigned long long v;
	int r;

	r = sysfs_read(root, path, buf, sizeof(buf));
	if (r < 0)
		return r;
	errno = 0;
	v = strtoull(buf, &end, 0);
	if (errno || end == buf || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

int sysfs_read_link(const char *root, const char *path, char *buf, size_t len)
{
	char p[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;
	int r;

	r = join(root, path, p, sizeof(p));
	if (r < 0)
		return r;
	n = readlink(p, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -E2BIG;
	strcpy(buf, base);
	return 0;
}
