/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef PARTVM_CLI_RUN_H
#define PARTVM_CLI_RUN_H

#include "core/vm/config.h"

/* Parse `partvm run` arguments (ARGV[0] is "run") into CFG: the config
 * file first, then the options over it, then validation. Returns 0, 1 for
 * --help, or a negative errno with ERR set to one line. */
int run_parse_args(int argc, char **argv, struct vm_config *cfg, struct config_error *err);

#endif
