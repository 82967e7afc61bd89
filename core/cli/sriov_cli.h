/* SPDX-License-Identifier: GPL-2.0-only */
/* The subcommands of `partvm sriov`, one file per concern, and the few
 * helpers they share. */
#ifndef PARTVM_CLI_SRIOV_H
#define PARTVM_CLI_SRIOV_H

#include "sriov/sriov.h"

int cli_sriov_list(int argc, char **argv);
int cli_sriov_numvfs(int argc, char **argv); /* create and destroy */
int cli_sriov_set(int argc, char **argv);
int cli_sriov_acquire(int argc, char **argv);
int cli_sriov_release(int argc, char **argv);

/* Find PF NAME for command CMD; logs one line naming it and returns an
 * exit status (EXIT_USAGE for an unknown PF or one without SR-IOV). */
int sriov_cli_find_pf(const char *cmd, const char *name, struct sriov_pf *pf);

/* "eth0" or "0000:00:04.0" — how messages name a PF. */
const char *sriov_cli_pf_name(const struct sriov_pf *pf);

/* Parse a decimal count or index; -EINVAL for anything else, -ERANGE for
 * a negative number. */
int sriov_cli_parse_uint(const char *s, unsigned *out);

#endif
