/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Other processes, as a refusal names them: is the owner a record names
 * (a disk lock's partition, a pool VF's allocation) still there, and who
 * has a file open (an image, a VFIO group, a DRM node)?
 */
#ifndef PARTVM_UTIL_PROCESS_H
#define PARTVM_UTIL_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Does process PID exist? One of another user counts (kill(PID, 0) fails
 * with EPERM for it, unless we are root): an unprivileged partvm meets
 * partitions run as other users. False for PID <= 0. */
bool process_alive(pid_t pid);

/* Who has a file open: the first process in ROOT/proc ("" for the real
 * one, else a fake tree), in PID order and other than SKIP (0: none), with
 * an fd on it. Its name (ROOT/proc/PID/comm, "?" when unreadable) goes to
 * COMM. Returns its PID, or 0 when none is found; the fds of another
 * user's processes are hidden from one without CAP_SYS_PTRACE.
 *
 * process_find_opener() matches an fd by its link, the path the kernel
 * shows ("/dev/vfio/12"); process_find_opener_of() by the file itself
 * (ST's device, inode and rdev), whatever path it was opened by. */
pid_t process_find_opener(const char *root, const char *path, pid_t skip, char *comm, size_t len);
pid_t process_find_opener_of(const char *root, const struct stat *st, pid_t skip, char *comm,
			     size_t len);

#endif
