/* SPDX-License-Identifier: GPL-2.0-only */
/* Whether a library (a substring of its path) is mapped in this process:
 * for the libraries partvm loads only while it needs them. Header-only. */
#ifndef PARTVM_TEST_MAPPED_H
#define PARTVM_TEST_MAPPED_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static inline bool lib_mapped(const char *lib)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return true;   /* cannot tell: the caller's "not mapped" check fails */
	while (fgets(line, sizeof(line), f))
		found |= strstr(line, lib) != NULL;
	fclose(f);
	return found;
}

#endif
