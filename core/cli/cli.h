/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Subcommands. Each lives in its own file under core/cli/ and is listed in
 * the table in core/main.c. A subcommand gets argv with argv[0] set to its
 * own name, parses its options with getopt_long, and returns the process
 * exit status.
 */
#ifndef PARTVM_CLI_H
#define PARTVM_CLI_H

#include <stdbool.h>
#include <stdio.h>

/* Exit statuses shared by all subcommands. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,      /* the operation failed (guest crash, host refusal) */
	EXIT_USAGE = 2,     /* bad command line or config file */
	EXIT_NOKVM = 69,    /* no usable /dev/kvm (EX_UNAVAILABLE) */
};

struct cli_command {
	const char *name;
	const char *summary;
	int (*main)(int argc, char **argv);
};

int cli_run(int argc, char **argv);
int cli_list(int argc, char **argv);
int cli_ctl(int argc, char **argv);
int cli_console(int argc, char **argv);
int cli_devices(int argc, char **argv);
int cli_iommu(int argc, char **argv);
int cli_vfio(int argc, char **argv);
int cli_host(int argc, char **argv);
int cli_sriov(int argc, char **argv);
int cli_host_apply(int argc, char **argv); /* `host apply`, dispatched by cli_host */
int cli_tpm(int argc, char **argv);

/* Print "partvm: CMD: MSG; see 'partvm CMD --help'" and return EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Option parsing for the listing commands, which take only --json and
 * --help: sets *JSON, leaves optind at the first operand and returns -1 to
 * go on, or the exit status after printing HELP (a usage text) or a usage
 * error naming CMD.
 */
int cli_parse_json_flag(int argc, char **argv, const char *cmd, const char *help, bool *json);
/* What USAGE prints, as a malloc'd string (NULL without memory). */
char *cli_help_text(void (*usage)(FILE *f));

#endif
