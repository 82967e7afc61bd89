/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A partition's TPM state directory: swtpm's state (tpm2-00.permall), its
 * logs, the last boot's event log, and partvm.lock, which the running
 * partition holds (flock) and names itself in, so a second partition is
 * refused with the owner's name. swtpm inherits the lock, which therefore
 * lasts until both partvm and its swtpm are gone.
 */
#ifndef PARTVM_TPM_STATEDIR_H
#define PARTVM_TPM_STATEDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TPM_STATEDIR_LOCK      "partvm.lock"
#define TPM_STATEDIR_EVENTLOG  "eventlog.bin"     /* the last boot's log */
#define TPM_STATEDIR_STATE     "tpm2-00.permall"  /* swtpm's TPM 2 state */

/* Make sure DIR is a directory partvm's user owns and writes, and nobody
 * else can write (creating it, mode 0700, if it is missing), whose TPM
 * state, if any, is a regular file. Returns 0 or a negative errno with WHY
 * (LEN bytes) saying what is wrong. */
int tpm_statedir_prepare(const char *dir, char *why, size_t len);
/* The same for OWNER:GROUP (partvm's [partition] user): a directory made
 * now is given to them, and one that exists (with its TPM) must be theirs. */
int tpm_statedir_prepare_for(const char *dir, uid_t owner, gid_t group, char *why, size_t len);

/*
 * Lock DIR for partition NAME (pid: ours). Returns the lock's fd, -EBUSY
 * with OWNER set to "'NAME' (pid N)" of the holder, or another negative
 * errno. A holder that has just died (its swtpm still exiting) is
 * waited for, a few seconds at most.
 */
int tpm_statedir_lock(const char *dir, const char *name, char *owner, size_t len);

/* Whether DIR already holds a provisioned TPM 2 state. */
bool tpm_statedir_provisioned(const char *dir);

/* Replace DIR's saved event log with LEN bytes at LOG (atomically). */
int tpm_statedir_save_eventlog(const char *dir, const void *log, size_t len);

#endif
