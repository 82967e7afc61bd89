// SPDX-License-Identifier: GPL-2.0-only
#include "core/vm/console.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* The saved terminal state must be reachable from a fatal-signal handler,
 * which gets no context: the one piece of process state outside struct vm,
 * next to the signal flags. */
static struct termios saved_termios;
static volatile sig_atomic_t termios_saved;

void console_restore(void)
{
	if (termios_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
}

static void fatal_signal(int sig)
{
	console_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

int console_setup(struct console *c)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE };
	struct termios raw;

	memset(c, 0, sizeof(*c));
	c->is_tty = isatty(STDIN_FILENO);
	if (!c->is_tty)
		return 0;
	if (tcgetattr(STDIN_FILENO, &saved_termios) < 0)
		return -errno;
	raw = saved_termios;
	cfmakeraw(&raw);
	/* Keep output post-processing so our own messages end lines. */
	raw.c_oflag |= OPOST | ONLCR;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
		return -errno;
	termios_saved = 1;
	atexit(console_restore);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		struct sigaction sa = { .sa_handler = fatal_signal, .sa_flags = SA_RESETHAND };

		sigaction(fatal[i], &sa, NULL);
	}
	return 0;
}

size_t console_filter(struct console *c, const uint8_t *in, size_t len, uint8_t *out,
		      bool *quit)
{
	size_t n = 0;

	*quit = false;
	if (!c->is_tty) {
		memcpy(out, in, len);
		return len;
	}
	for (size_t i = 0; i < len; i++) {
		uint8_t b = in[i];

		if (c->escape_pending) {
			c->escape_pending = false;
			if (b == 'x' || b == 'X') {
				*quit = true;
				return n;
			}
			if (b == CONSOLE_ESCAPE) {
				out[n++] = CONSOLE_ESCAPE;
			} else if (b == 'h' || b == 'H') {
				fprintf(stderr, "\r\npartvm: Ctrl-A x  quit\r\n"
						"partvm: Ctrl-A Ctrl-A  send Ctrl-A\r\n");
			} else {
				/* Not an escape we know: pass both through. */
				out[n++] = CONSOLE_ESCAPE;
				out[n++] = b;
			}
			continue;
		}
		if (b == CONSOLE_ESCAPE) {
			c->escape_pending = true;
			continue;
		}
		out[n++] = b;
	}
	return n;
}
