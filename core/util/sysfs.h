/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small, prefix-aware accessors for sysfs-style attribute files. Every
 * hardware-facing subsystem takes a ROOT prefix ("" for the real system)
 * so unit tests can point it at a fake tree.
 */
#ifndef PARTVM_SYSFS_H
#define PARTVM_SYSFS_H

#include <stddef.h>
#include <stdint.h>

/* Environment overrides for tests; defaults are "" and /run/partvm. */
const char *partvm_sysfs_root(void);   /* $PARTVM_SYSFS_ROOT */
const char *partvm_runtime_dir(void);  /* $PARTVM_RUNTIME_DIR */

/* Read ROOT/PATH into BUF (NUL-terminated, trailing newline removed).
 * Returns the length, or a negative errno (-E2BIG if it does not fit). */
int sysfs_read(const char *root, const char *path, char *buf, size_t len);
/* Write VALUE to ROOT/PATH in one write(2). Returns 0 or a negative errno. */
int sysfs_write(const char *root, const char *path, const char *value);
/* Read an integer attribute (decimal or 0x-prefixed hex). */
int sysfs_read_u64(const char *root, const char *path, uint64_t *out);
/* Basename of the symlink ROOT/PATH points to ("driver" -> "igb").
 * Returns -ENOENT when the link does not exist. */
int sysfs_read_link(const char *root, const char *path, char *buf, size_t len);

#endif
