// SPDX-License-Identifier: GPL-2.0-only
#include "core/util/dir.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/cleanup.h"

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Decimal names in numeric order, before any other name. */
static int cmp_numeric(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	char *ex, *ey;
	unsigned long long vx = strtoull(x, &ex, 10), vy = strtoull(y, &ey, 10);
	bool nx = *x && !*ex, ny = *y && !*ey;

	if (nx && ny)
		return (vx > vy) - (vx < vy);
	if (nx != ny)
		return nx ? -1 : 1;
	return strcmp(x, y);
}

void dir_list_free(char **names)
{
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}

static int list(const char *path, int (*cmp)(const void *, const void *), char ***out)
{
	_cleanup_closedir_ DIR *d = opendir(path);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	*out = NULL;
	if (!d)
		return -errno;
	errno = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n + 1 >= cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **p = reallocarray(names, nc, sizeof(*names));

			if (!p)
				goto oom;
			names = p;
			cap = nc;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			goto oom;
		names[++n] = NULL;
	}
	if (!names) {
		names = calloc(1, sizeof(*names));
		if (!names)
			return -ENOMEM;
	}
	qsort(names, n, sizeof(*names), cmp);
	*out = names;
	return (int)n;
oom:
	dir_list_free(names);
	return -ENOMEM;
}

int dir_list(const char *path, char ***out)
{
	return list(path, cmp_name, out);
}

int dir_list_numeric(const char *path, char ***out)
{
	return list(path, cmp_numeric, out);
}

size_t dir_count(const char *path)
{
	_cleanup_closedir_ DIR *d = opendir(path);
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	return n;
}
