// SPDX-License-Identifier: GPL-2.0-only
/* inih with line numbers, for FILE:LINE messages about partition and host
 * configs. */
#include "sriov/internal.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>

#include "core/cleanup.h"

/* fgets that counts lines and notices [section] headers. */
static char *reader(char *buf, int size, void *stream)
{
	struct sriov_ini *ini = stream;
	char *r = fgets(buf, size, ini->f);

	if (r) {
		if (ini->at_line_start) {
			ini->line++;
			if (ini->on_header && buf[strspn(buf, " \t")] == '[')
				ini->on_header(ini);
		}
		ini->at_line_start = strchr(r, '\n') != NULL;
	}
	return r;
}

int sriov_ini_parse(struct sriov_ini *ini, sriov_ini_handler handler)
{
	_cleanup_fclose_ FILE *f = fopen(ini->path, "re");

	if (!f)
		return -errno;
	ini->f = f;
	ini->line = 0;
	ini->at_line_start = true;
	return ini_parse_stream(reader, ini, handler, ini);
}
