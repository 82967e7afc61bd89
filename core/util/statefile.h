/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small key=value state files under partvm's runtime directory (vfio bind
 * records, SR-IOV pool allocations): written atomically, so a reader sees
 * no file or a whole one; read whole; parsed strictly, so a damaged record
 * is noticed rather than half-believed.
 */
#ifndef PARTVM_STATEFILE_H
#define PARTVM_STATEFILE_H

#include <stdbool.h>
#include <stddef.h>

/* mkdir -p DIR (mode 0755). */
int statefile_mkdir(const char *dir);

/* Write TEXT to DIR/NAME through a temporary file (".NAME.PID.tmp"), fsync
 * and rename. Creates DIR. */
int statefile_write(const char *dir, const char *name, const char *text);

/* Read DIR/NAME whole into BUF (NUL-terminated). -ENOENT when it does not
 * exist, -EBADMSG when it does not fit. */
int statefile_read(const char *dir, const char *name, char *buf, size_t len);

int statefile_remove(const char *dir, const char *name);

/* Names in a state directory that are not records: ".", "..", the lock
 * and the temporary files of a writer that was killed. */
bool statefile_is_private(const char *name);

/* Take the exclusive lock DIR/.lock (creating DIR); returns the fd that
 * holds it (close it to unlock), or a negative errno. */
int statefile_lock(const char *dir);

/* Holder records, "PID NAME": which partition's partvm holds something that
 * its lock or the kernel cannot name (a disk image, a vsock CID), for the
 * refusal another partvm prints. Best effort: the lock or the kernel is
 * what refuses, the record only names. */
/* Write DIR/NAME naming this process as PARTITION's; PATH (LEN bytes) gets
 * the record's path for statefile_unhold(), "" when it was not written. */
int statefile_hold(const char *dir, const char *name, const char *partition, char *path,
		   size_t len);
/* "partition 'web' (pid 812)" into BUF when DIR/NAME names a process that
 * still runs; -ENOENT otherwise. */
int statefile_holder(const char *dir, const char *name, char *buf, size_t len);
/* Remove the record at PATH while it still names this process (another
 * holder may have written its own since); PATH becomes "". */
void statefile_unhold(char *path);

enum statefile_type {
	STATEFILE_STRING,         /* into char[size], refusing what does not fit */
	STATEFILE_UINT,           /* decimal, at most MAX, into an unsigned of SIZE bytes */
	STATEFILE_INT,            /* the same into a signed int (pid_t), 0..MAX */
};

struct statefile_field {
	const char *key;
	enum statefile_type type;
	void *dst;
	size_t size;
	unsigned long long max;
};

/* Parse "key=value" lines ('#' comments and empty lines are skipped): every
 * field must appear, no other key may. -EBADMSG otherwise. */
int statefile_parse(const char *text, const struct statefile_field *fields, size_t n);

#endif
