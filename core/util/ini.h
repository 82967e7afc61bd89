/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * inih with line numbers, for "FILE:LINE: message" errors: partition
 * configs (core/config.c) and the host config (sriov/hostconf.c). inih
 * itself does not tell a handler which line it is on.
 */
#ifndef PARTVM_INI_H
#define PARTVM_INI_H

#include <stdbool.h>

/*
 * The text comes from PATH, or from TEXT when it is set (tests). HANDLER
 * gets the struct ini_source as its user pointer: LINE is the line of the
 * key being handled, USERDATA is the caller's. ON_HEADER, when set, runs
 * for every [section] line, so a section written twice can be told from
 * one section continued.
 */
struct ini_source {
	const char *path;
	const char *text;
	int line;
	void (*on_header)(struct ini_source *src, const char *line);
	void *userdata;
	/* private */
	void *f;
	bool at_line_start;
};

typedef int (*ini_source_handler)(void *src, const char *section, const char *key,
				  const char *value);

/* Returns inih's result: 0, the line of a syntax error (> 0), or a
 * negative errno (-ENOENT and friends when PATH cannot be opened). Lines
 * of any length are accepted. */
int ini_source_parse(struct ini_source *src, ini_source_handler handler);

#endif
