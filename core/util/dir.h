/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Directory listing for sysfs, /proc and partvm's state directories: the
 * entries' names, sorted, without "." and "..". Callers filter the names
 * themselves (a BDF, a group number, a PID), so every listing in partvm
 * is this one loop.
 */
#ifndef PARTVM_UTIL_DIR_H
#define PARTVM_UTIL_DIR_H

#include <stddef.h>

/* The entries of PATH whose names do not start with '.', sorted with
 * strcmp (or, with NUMERIC, as decimal numbers first, then the rest).
 * *OUT is a NULL-terminated, malloc'd array of malloc'd strings; free it
 * with dir_list_free(). Returns the count or a negative errno (-ENOENT
 * when PATH does not exist). */
int dir_list(const char *path, char ***out);
int dir_list_numeric(const char *path, char ***out);
void dir_list_free(char **names);

/* Entries of PATH not starting with '.', or 0 when it cannot be read. */
size_t dir_count(const char *path);

#endif
