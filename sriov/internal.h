/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers shared by the files of sriov/; not part of its public face. */
#ifndef PARTVM_SRIOV_INTERNAL_H
#define PARTVM_SRIOV_INTERNAL_H

#include <stddef.h>

#include "sriov/sriov.h"

/* Format one message into ERR (when ERR is non-NULL) and return R. */
int sriov_fail(char *err, size_t errlen, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));



#endif
