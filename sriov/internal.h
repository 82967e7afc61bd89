/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers shared by the files of sriov/; not part of its public face. */
#ifndef PARTVM_SRIOV_INTERNAL_H
#define PARTVM_SRIOV_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "sriov/sriov.h"

/* Format one message into ERR (when ERR is non-NULL) and return R. */
int sriov_fail(char *err, size_t errlen, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A decimal number of digits only (no sign, no blanks, no 0x) up to MAX
 * into *OUT: the keys' numbers, VF indices and counts. -ERANGE above MAX
 * (or past what 64 bits hold), -EINVAL for anything else. */
int sriov_parse_uint(const char *s, uint64_t max, uint64_t *out);



#endif
