// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>

#include "core/cli/cli.h"

int cli_run(int argc, char **argv)
{
	fprintf(stderr, "partvm: run: not yet\n");
	return EXIT_FAIL;
}
