// SPDX-License-Identifier: GPL-2.0-only
#include "core/vm/console.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <termios.h>
#include <unistd.h>

#include "core/vm/loop.h"
#include "core/vm/vm.h"

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

/* ---- The input pump ------------------------------------------------------ */

struct console_input {
	struct vm *vm;
	struct loop *loop;
	struct console term;
	struct console_port port;
	bool stdin_watched, stdin_eof;
	uint8_t pending[256];        /* input the port had no room for */
	size_t npending, pending_off;
	/* An attached `partvm console`, told when pending input has gone:
	 * not from within its own feed (it would feed the same bytes again). */
	void (*room)(void *opaque);
	void *room_opaque;
	bool feeding;
};

int console_claim(struct vm *vm, const struct console_port *port)
{
	struct console_input *c = vm->console;

	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return -ENOMEM;
		c->vm = vm;
		c->port.priority = INT_MIN;
		vm->console = c;
	}
	if (port->priority > c->port.priority)
		c->port = *port;
	return 0;
}

const char *console_port_name(struct vm *vm)
{
	return vm->console ? vm->console->port.name : NULL;
}

static void on_stdin(struct loop *l, int fd, uint32_t events, void *opaque);

/* Feed what is pending; watch stdin only while nothing is. */
static void pump(struct console_input *c)
{
	if (c->npending) {
		size_t n = c->port.receive(c->port.opaque, c->pending + c->pending_off, c->npending);

		c->pending_off += n;
		c->npending -= n;
	}
	if (c->npending == 0 && c->room && !c->feeding)
		c->room(c->room_opaque);
	if (c->npending == 0 && !c->stdin_eof && !c->stdin_watched) {
		/* epoll refuses regular files and /dev/null: no console input. */
		if (loop_add(c->loop, STDIN_FILENO, EPOLLIN, on_stdin, c) == 0)
			c->stdin_watched = true;
		else
			c->stdin_eof = true;
	} else if ((c->npending || c->stdin_eof) && c->stdin_watched) {
		loop_remove(c->loop, STDIN_FILENO);
		c->stdin_watched = false;
	}
}

static void on_stdin(struct loop *l, int fd, uint32_t events, void *opaque)
{
	struct console_input *c = opaque;
	uint8_t in[sizeof(c->pending) - 1];
	ssize_t n = read(fd, in, sizeof(in));
	bool quit = false;

	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		c->stdin_eof = true;
	} else if (n == 0) {
		/* Input closed (a pipe that ended): keep the guest running. */
		c->stdin_eof = true;
	} else {
		c->npending = console_filter(&c->term, in, (size_t)n, c->pending, &quit);
		c->pending_off = 0;
		if (quit) {
			vm_request_stop(c->vm, VM_STOP_QUIT, 0);
			return;
		}
	}
	pump(c);
}

size_t console_input_feed(struct vm *vm, const uint8_t *buf, size_t len)
{
	struct console_input *c = vm->console;

	if (!c || !c->port.receive || !c->loop)
		return len;   /* no console input: it goes nowhere */
	if (c->npending)
		return 0;
	if (len > sizeof(c->pending))
		len = sizeof(c->pending);
	memcpy(c->pending, buf, len);
	c->npending = len;
	c->pending_off = 0;
	c->feeding = true;
	pump(c);
	c->feeding = false;
	return len;
}

void console_input_on_room(struct vm *vm, void (*room)(void *opaque), void *opaque)
{
	struct console_input *c = vm->console;

	if (!c)
		return;
	c->room = room;
	c->room_opaque = opaque;
}

static void on_room(struct loop *l, int fd, uint32_t events, void *opaque)
{
	uint64_t v;

	(void)!read(fd, &v, sizeof(v));
	pump(opaque);
}

int console_start(struct vm *vm, struct loop *loop)
{
	struct console_input *c = vm->console;
	int r;

	if (!c || !c->port.receive)
		return 0;
	c->loop = loop;
	if (console_setup(&c->term) < 0)
		fprintf(stderr, "partvm: cannot put the terminal into raw mode: %s\n", strerror(errno));
	if (c->port.room_fd >= 0) {
		r = loop_add(loop, c->port.room_fd, EPOLLIN, on_room, c);
		if (r < 0)
			return r;
	}
	pump(c);
	return 0;
}

void console_stop(struct vm *vm)
{
	struct console_input *c = vm->console;

	console_restore();
	if (!c)
		return;
	if (c->loop && c->stdin_watched)
		loop_remove(c->loop, STDIN_FILENO);
	if (c->loop && c->port.room_fd >= 0)
		loop_remove(c->loop, c->port.room_fd);
	free(c);
	vm->console = NULL;
}
