/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers shared by the files of sriov/; not part of its public face. */
#ifndef PARTVM_SRIOV_INTERNAL_H
#define PARTVM_SRIOV_INTERNAL_H

#include <stddef.h>

#include "sriov/sriov.h"

/* Format one message into ERR (when ERR is non-NULL) and return R. */
int sriov_fail(char *err, size_t errlen, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * inih over PATH with line numbers: HANDLER gets the struct sriov_ini as
 * its user pointer, LINE is the line of the key being handled, and
 * ON_HEADER (optional) runs for every [section] line. Returns inih's
 * result: 0, the line of a syntax error (> 0), or a negative errno.
 */
struct sriov_ini {
	const char *path;
	int line;
	void (*on_header)(struct sriov_ini *ini);
	void *userdata;
	/* private */
	void *f;
	bool at_line_start;
};

typedef int (*sriov_ini_handler)(void *ini, const char *section, const char *key,
				 const char *value);
int sriov_ini_parse(struct sriov_ini *ini, sriov_ini_handler handler);

#endif
