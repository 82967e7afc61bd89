/* SPDX-License-Identifier: GPL-2.0-only */
/* What code under test logs: stderr into a temporary file for a while,
 * then back, with the captured text and its line count. Header-only, for
 * the tests that use it. */
#ifndef PARTVM_TEST_CAPTURE_H
#define PARTVM_TEST_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct capture {
	int saved;
	FILE *file;
	char text[16384];
	unsigned lines;
};

static inline void capture_begin(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	fflush(stderr);
	c->file = tmpfile();
	c->saved = dup(STDERR_FILENO);
	if (!c->file || c->saved < 0 || dup2(fileno(c->file), STDERR_FILENO) < 0)
		abort();
}

static inline void capture_end(struct capture *c)
{
	size_t n;

	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	rewind(c->file);
	n = fread(c->text, 1, sizeof(c->text) - 1, c->file);
	c->text[n] = 0;
	fclose(c->file);
	for (const char *p = c->text; (p = strchr(p, '\n')); p++)
		c->lines++;
}

#endif
