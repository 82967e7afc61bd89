/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Scope-bound cleanup, after systemd's conventions: a variable declared
 * with one of these attributes is released when it goes out of scope, so
 * error paths need no goto ladder. Use TAKE_PTR()/TAKE_FD() to hand the
 * object to the caller.
 */
#ifndef PARTVM_CLEANUP_H
#define PARTVM_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Declare `static inline void NAMEp(TYPE **p)` that calls FUNC on non-NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)            \
	static inline void func##p(type *p)                \
	{                                                  \
		if (*p)                                    \
			func(*p);                          \
	}

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)
#define _cleanup_closedir_ _cleanup_(closedirp)

/* A NULL-terminated array of strings (dir_list(), strv-style lists). */
static inline void strv_freep(char ***p)
{
	for (size_t i = 0; *p && (*p)[i]; i++)
		free((*p)[i]);
	free(*p);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

#define TAKE_PTR(p)                          \
	({                                   \
		__typeof__(p) _tp = (p);     \
		(p) = NULL;                  \
		_tp;                         \
	})

#define TAKE_FD(fd)                 \
	({                          \
		int _tf = (fd);     \
		(fd) = -1;          \
		_tf;                \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
