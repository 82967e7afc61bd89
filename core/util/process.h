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
 * partitions run as other users. One that has exited and waits for its
 * parent to reap it does not: it holds no file or device any more. False
 * for PID <= 0. */
bool process_alive(pid_t pid);

/* ROOT/proc/PID/stat's state letter and start time (clock ticks after
 * boot; with the PID, it names one process even when PIDs are reused).
 * Either output may be NULL. 0, or a negative errno (-ENOENT: no such
 * process). */
int process_read_stat(const char *root, pid_t pid, char *state, unsigned long long *starttime);

/* A state letter of a process that has exited (zombie, dead). */
bool process_state_exited(char state);

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
/* The same, for an fd on PATH whose ROOT/proc/PID/fdinfo/N also has the
 * line INFO: which /dev/net/tun fd is attached to tap X ("iff:\tX"). */
pid_t process_find_opener_info(const char *root, const char *path, const char *info, pid_t skip,
				char *comm, size_t len);
pid_t process_find_opener_of(const char *root, const struct stat *st, pid_t skip, char *comm,
			     size_t len);

#endif
