// SPDX-License-Identifier: GPL-2.0-only
#include "core/util/statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/process.h"

static int path_of(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* A record name is one path component. */
static bool name_ok(const char *name)
{
	return *name && !strchr(name, '/') && name[0] != '.';
}

int statefile_mkdir(const char *dir)
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

int statefile_write(const char *dir, const char *name, const char *text)
{
	char tmp[PATH_MAX], final[PATH_MAX], tmpname[NAME_MAX + 1];
	_cleanup_close_ int fd = -1;
	size_t len = strlen(text);
	int r;

	if (!name_ok(name))
		return -EINVAL;
	r = statefile_mkdir(dir);
	if (r < 0)
		return r;
	if (snprintf(tmpname, sizeof(tmpname), ".%s.%d.tmp", name, (int)getpid()) >= (int)sizeof(tmpname))
		return -ENAMETOOLONG;
	if (path_of(final, sizeof(final), dir, name) < 0 || path_of(tmp, sizeof(tmp), dir, tmpname) < 0)
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		r = errno ? -errno : -EIO;
		unlink(tmp);
		return r;
	}
	if (rename(tmp, final) < 0) {
		r = -errno;
		unlink(tmp);
		return r;
	}
	return 0;
}

int statefile_read(const char *dir, const char *name, char *buf, size_t len)
{
	char p[PATH_MAX];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if (!name_ok(name) || len == 0)
		return -EINVAL;
	if (path_of(p, sizeof(p), dir, name) < 0)
		return -ENAMETOOLONG;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len);
	if (n < 0)
		return -errno;
	if ((size_t)n == len)
		return -EBADMSG;
	buf[n] = '\0';
	return 0;
}

int statefile_remove(const char *dir, const char *name)
{
	char p[PATH_MAX];

	if (!name_ok(name))
		return -EINVAL;
	if (path_of(p, sizeof(p), dir, name) < 0)
		return -ENAMETOOLONG;
	return unlink(p) < 0 ? -errno : 0;
}

bool statefile_is_private(const char *name)
{
	return name[0] == '.';
}

int statefile_lock(const char *dir)
{
	char p[PATH_MAX];
	int fd, r;

	r = statefile_mkdir(dir);
	if (r < 0)
		return r;
	if (path_of(p, sizeof(p), dir, ".lock") < 0)
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

static int parse_value(const struct statefile_field *f, const char *v)
{
	unsigned long long n;
	char *end;

	if (f->type == STATEFILE_STRING) {
		if (strlen(v) >= f->size)
			return -EBADMSG;
		strcpy(f->dst, v);
		return 0;
	}
	if (*v < '0' || *v > '9')
		return -EBADMSG;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n > f->max)
		return -EBADMSG;
	if (f->type == STATEFILE_INT)
		*(int *)f->dst = (int)n;
	else if (f->size == sizeof(uint32_t))
		*(uint32_t *)f->dst = (uint32_t)n;
	else
		*(uint64_t *)f->dst = n;
	return 0;
}

int statefile_parse(const char *text, const struct statefile_field *fields, size_t n)
{
	_cleanup_free_ char *copy = strdup(text);
	unsigned long long seen = 0;
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	if (n > 64)
		return -EINVAL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq;
		size_t i;

		if (line[0] == '#' || line[0] == '\0')
			continue;
		eq = strchr(line, '=');
		if (!eq)
			return -EBADMSG;
		*eq++ = '\0';
		for (i = 0; i < n && strcmp(fields[i].key, line); i++)
			;
		if (i == n || (seen & (1ULL << i)) || parse_value(&fields[i], eq) < 0)
			return -EBADMSG;
		seen |= 1ULL << i;
	}
	return seen == (n == 64 ? ~0ULL : (1ULL << n) - 1) ? 0 : -EBADMSG;
}

int statefile_hold(const char *dir, const char *name, const char *partition, char *path,
		   size_t len)
{
	char text[300];
	int r;

	path[0] = '\0';
	snprintf(text, sizeof(text), "%d %s\n", (int)getpid(), partition);
	r = statefile_write(dir, name, text);
	if (r < 0)
		return r;
	if (snprintf(path, len, "%s/%s", dir, name) >= (int)len)
		path[0] = '\0';
	return 0;
}

int statefile_holder(const char *dir, const char *name, char *buf, size_t len)
{
	char text[300], who[256];
	int pid = 0;

	if (statefile_read(dir, name, text, sizeof(text)) < 0 ||
	    sscanf(text, "%d %255s", &pid, who) != 2 || !process_alive(pid))
		return -ENOENT;
	snprintf(buf, len, "partition '%s' (pid %d)", who, pid);
	return 0;
}

void statefile_unhold(char *path)
{
	_cleanup_fclose_ FILE *f = NULL;
	int pid = 0;

	if (!path[0])
		return;
	f = fopen(path, "re");
	if (f && fscanf(f, "%d", &pid) == 1 && pid == getpid())
		unlink(path);
	path[0] = '\0';
}
