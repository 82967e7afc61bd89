// SPDX-License-Identifier: GPL-2.0-only
#include "core/util/process.h"

#include <errno.h>
#include <signal.h>

bool process_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}
