/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Other processes, as the owners named in partvm's records (a disk lock's
 * partition, a pool VF's allocation): is one still there?
 */
#ifndef PARTVM_UTIL_PROCESS_H
#define PARTVM_UTIL_PROCESS_H

#include <stdbool.h>
#include <sys/types.h>

/* Does process PID exist? One of another user counts (kill(PID, 0) fails
 * with EPERM for it, unless we are root): an unprivileged partvm meets
 * partitions run as other users. False for PID <= 0. */
bool process_alive(pid_t pid);

#endif
