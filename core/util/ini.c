// SPDX-License-Identifier: GPL-2.0-only
#include "core/util/ini.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>

#include "core/util/cleanup.h"

/* Like fgets (at most SIZE - 1 bytes, the newline included), from the
 * file or the string; *EOL: the chunk ends its line. */
static char *next_chunk(struct ini_source *src, char *buf, int size, bool *eol)
{
	size_t n = 0;

	if (src->f) {
		/* fgets does not say how much it read, and a NUL byte in the
		 * file would hide the newline from strchr(): look for it in a
		 * buffer that held none before. */
		memset(buf, 0, (size_t)size);
		if (!fgets(buf, size, src->f))
			return NULL;
		*eol = memchr(buf, '\n', (size_t)size) != NULL;
		return buf;
	}
	if (!*src->text)
		return NULL;
	while (src->text[n] && n + 1 < (size_t)size && src->text[n] != '\n')
		n++;
	if (src->text[n] == '\n' && n + 1 < (size_t)size)
		n++;
	memcpy(buf, src->text, n);
	buf[n] = '\0';
	src->text += n;
	*eol = n && buf[n - 1] == '\n';
	return buf;
}

/* The reader inih calls: counts lines and notices [section] headers. A
 * long line arrives in several chunks; only the first starts a line. */
static char *reader(char *buf, int size, void *stream)
{
	struct ini_source *src = stream;
	bool eol = false;
	char *r = next_chunk(src, buf, size, &eol);

	if (r) {
		if (src->at_line_start) {
			src->line++;
			if (src->on_header && buf[strspn(buf, " \t")] == '[')
				src->on_header(src, buf);
		}
		src->at_line_start = eol;
	}
	return r;
}

int ini_source_parse(struct ini_source *src, ini_source_handler handler)
{
	_cleanup_fclose_ FILE *f = NULL;
	int r;

	if (!src->text) {
		f = fopen(src->path, "re");
		if (!f)
			return -errno;
	}
	src->f = f;
	src->line = 0;
	src->at_line_start = true;
	/* Kernel command lines can be long; let inih grow its line buffer,
	 * and stop at the first error so it is the one reported. These are
	 * Debian's libinih run-time settings, the same for every caller. */
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = 64 * 1024;
	ini_stop_on_first_error = true;
	r = ini_parse_stream(reader, src, handler, src);
	/* inih counts a line it reads in pieces (one over ini_max_line, or
	 * cut short by a NUL byte) as several; it stopped on the line the
	 * reader is at, so that is the line of its syntax error. */
	return r > 0 ? src->line : r;
}
