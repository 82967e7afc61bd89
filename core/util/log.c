// SPDX-License-Identifier: GPL-2.0-only
#include "core/util/log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Process-wide logging settings; like systemd's log.c, the one deliberate
 * exception to "no global state": set once at start-up. */
static int max_level = LOG_INFO;
static int to_journal = -1;

void log_set_max_level(int level)
{
	max_level = level;
}

int log_get_max_level(void)
{
	return max_level;
}

/* systemd sets JOURNAL_STREAM=dev:ino for a stderr connected to journald. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

int log_full_errnov(int priority, int err, const char *fmt, va_list ap)
{
	int saved = errno;
	char buf[2048];

	if (priority > max_level)
		return err ? err : -EIO;
	if (to_journal < 0)
		to_journal = stderr_is_journal();

	if (err)
		errno = -err;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (to_journal)
		fprintf(stderr, "<%d>%s\n", priority, buf);
	else
		fprintf(stderr, "partvm: %s\n", buf);
	errno = saved;
	return err ? err : -EIO;
}

int log_full_errno(int priority, int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = log_full_errnov(priority, err, fmt, ap);
	va_end(ap);
	return r;
}
