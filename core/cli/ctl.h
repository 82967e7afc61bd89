/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared by `partvm list` and `partvm ctl`: asking a partition for its
 * status over its control socket, and showing parts of the answer. */
#ifndef PARTVM_CLI_CTL_H
#define PARTVM_CLI_CTL_H

#include <stddef.h>

struct json_object;

/* How long a partition has to answer. */
#define CLI_CTL_TIMEOUT_MS 5000

/* Connect to partition NAME's control socket (a stale one is removed and
 * said so). 0 with *FD, or a negative errno having logged one line. */
int cli_ctl_connect(const char *cmd, const char *name, int *fd);

/*
 * Send COMMAND to partition NAME. Returns 0 with *REPLY set (which may
 * say "ok": false), or a negative errno, having logged one line: not
 * running (-ENOENT), a stale socket found and removed (-ECONNREFUSED),
 * no answer (-ETIMEDOUT)...
 */
int cli_ctl_call(const char *cmd, const char *name, const char *command, struct json_object **reply);

/* "3d 04:05:06" or "04:05:06" from a status's "uptime". */
void cli_format_uptime(struct json_object *status, char *buf, size_t len);
/* The status's "devices" (and its TPM) as "0000:00:12.0 (VF eth0/0), vTPM",
 * or "-". */
void cli_format_devices(struct json_object *status, char *buf, size_t len);

#endif
