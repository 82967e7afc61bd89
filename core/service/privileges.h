/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * [partition] user: once the partition is set up and its first boot runs,
 * partvm goes on as that user, with no capabilities and no_new_privs, so
 * that a guest that took over the VMM holds nothing of root. What needs
 * root later (giving passed-through devices back, returning pool VFs) is
 * left to a restorer: `partvm vfio restore --partition NAME --after PID`,
 * started as root beforehand, which waits for this partvm to end.
 */
#ifndef PARTVM_SERVICE_PRIVILEGES_H
#define PARTVM_SERVICE_PRIVILEGES_H

struct vm;
struct vm_config;

/* The user a partition started as root goes on as when its config names
 * none: the system user `make install` creates (looked up in /etc/passwd,
 * where useradd puts it). Without it partvm stays root, and
 * privileges_drop() says so. */
#define PRIVILEGES_DEFAULT_USER "partvm"

/* Before anything is taken from the host: the user partvm goes on as
 * (CFG's, or PRIVILEGES_DEFAULT_USER when partvm runs as root and CFG
 * names none), and can partvm become it? Logs one line and returns
 * -EPERM when it cannot (not started as root). */
int privileges_check(struct vm_config *cfg);

/* Become [partition] user (nothing without one, or when partvm already
 * runs as it). Logs what failed. */
int privileges_drop(struct vm *vm);

#endif
