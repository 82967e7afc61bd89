/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Logging for the user-facing layer (CLI commands, the VMM's main loop).
 * Library-like code returns negative errnos and lets its caller log once.
 *
 * Messages go to stderr as "partvm: ..." lines; when stderr is connected to
 * the journal (JOURNAL_STREAM matches), each line instead carries the
 * sd-daemon "<N>" priority prefix so journald keeps the level.
 */
#ifndef PARTVM_LOG_H
#define PARTVM_LOG_H

#include <stdarg.h>
#include <syslog.h>

/* Messages above this priority are dropped (default LOG_INFO). */
void log_set_max_level(int level);
int log_get_max_level(void);

/*
 * Log at PRIORITY. When ERR is non-zero it must be a negative errno: errno
 * is set to -ERR while formatting, so "%m" prints its text. Returns ERR,
 * or -EIO when ERR is 0, so that callers can `return log_error_errno(...)`.
 */
int log_full_errno(int priority, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int log_full_errnov(int priority, int err, const char *fmt, va_list ap);

#define log_error(...) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_notice(...) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_error_errno(r, ...) log_full_errno(LOG_ERR, (r), __VA_ARGS__)
#define log_warning_errno(r, ...) log_full_errno(LOG_WARNING, (r), __VA_ARGS__)

#endif
