// SPDX-License-Identifier: GPL-2.0-only
/* The control socket's server side: the listening socket, its
 * connections, and the line framing (requests are in control_cmd.c). */
#include "core/service/control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/log.h"
#include "core/vm/console.h"
#include "core/vm/console_output.h"
#include "core/vm/loop.h"
#include "core/vm/vm.h"

struct control;

struct control_client {
	struct vm *vm;
	struct control *ctl;         /* NULL for a connection without a server (tests) */
	int fd;
	struct control_lines in;
	/* A console: the guest's output from POS on goes out on FD; input
	 * from the writer goes to the guest, INBUF what the guest had no room
	 * for yet (FD is not read meanwhile). */
	bool console, writer;
	uint64_t pos;
	uint8_t inbuf[256];
	size_t inlen, inoff;
	uint32_t events;             /* what the loop watches on FD */
};

struct control {
	struct vm *vm;
	struct loop *loop;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;                   /* the socket file we made, so that we */
	ino_t ino;                   /* never remove someone else's */
	struct control_client *clients[CONTROL_MAX_CLIENTS];
	unsigned consoles;           /* clients that are consoles */
};

int control_lines_feed(struct control_lines *lb, const char *data, size_t n, control_line_fn fn,
		       void *userdata)
{
	for (size_t i = 0; i < n; i++) {
		char ch = data[i];
		int r = 0;

		if (ch == '\n') {
			size_t len = lb->len;

			if (len && lb->buf[len - 1] == '\r')
				len--;
			if (!lb->dropping && len)
				r = fn(userdata, lb->buf, len, false);
			lb->len = 0;
			lb->dropping = false;
		} else if (lb->dropping) {
			continue;
		} else if (lb->len == sizeof(lb->buf)) {
			lb->dropping = true;
			lb->len = 0;
			r = fn(userdata, NULL, 0, true);
		} else {
			lb->buf[lb->len++] = ch;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

struct control_client *control_client_new(struct vm *vm, int fd)
{
	struct control_client *cl = calloc(1, sizeof(*cl));

	if (!cl)
		return NULL;
	cl->vm = vm;
	cl->fd = fd;
	return cl;
}

void control_client_free(struct control_client *cl)
{
	if (!cl)
		return;
	if (cl->fd >= 0)
		close(cl->fd);
	free(cl);
}

/* A reply and its newline in one send. MSG_NOSIGNAL: a client that left
 * must not kill the VMM with SIGPIPE; MSG_DONTWAIT: one that does not
 * read must not stall it (it is disconnected instead). */
static int send_line(int fd, char *reply)
{
	size_t len = strlen(reply);
	ssize_t n;

	reply[len] = '\n';
	n = send(fd, reply, len + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	reply[len] = '\0';
	if (n < 0)
		return -errno;
	return (size_t)n == len + 1 ? 0 : -EAGAIN;
}

/* ---- Consoles ------------------------------------------------------------- */

static void on_client(struct loop *l, int fd, uint32_t events, void *opaque);

/* Watch what CL needs now: input unless it waits for the guest, output
 * room when the socket was full. */
static int console_rewatch(struct control_client *cl, uint32_t events)
{
	if (!cl->ctl || events == cl->events)
		return 0;
	loop_remove(cl->ctl->loop, cl->fd);
	cl->events = events;
	return loop_add(cl->ctl->loop, cl->fd, events, on_client, cl->ctl);
}

/* Send the guest's output from CL's position on, as much as the socket
 * takes now; the rest when it has room (EPOLLOUT). A console that falls
 * more than CONSOLE_HISTORY behind is told how much it missed. */
static int console_send(struct control_client *cl)
{
	struct console_output *o = cl->vm->console_out;
	uint8_t buf[16384];

	for (;;) {
		uint64_t at = cl->pos, skipped;
		size_t n = console_output_history(o, &cl->pos, buf, sizeof(buf), &skipped);
		ssize_t sent;

		if (skipped) {
			char note[96];
			int k = snprintf(note, sizeof(note), "\r\n[partvm: %llu bytes of output missed]\r\n",
					 (unsigned long long)skipped);

			(void)!send(cl->fd, note, (size_t)k, MSG_NOSIGNAL | MSG_DONTWAIT);
			at = cl->pos - n;
		}
		if (!n)
			break;
		sent = send(cl->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (sent < 0 && errno != EAGAIN)
			return -errno;
		if (sent < (ssize_t)n) {
			cl->pos = at + (uint64_t)(sent > 0 ? sent : 0);
			return console_rewatch(cl, (cl->events & EPOLLIN) | EPOLLOUT);
		}
	}
	return console_rewatch(cl, cl->events & ~(uint32_t)EPOLLOUT);
}

static void on_console_output(struct loop *l, int fd, uint32_t events, void *opaque)
{
	struct control *c = opaque;
	uint64_t v;

	(void)!read(fd, &v, sizeof(v));
	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i] && c->clients[i]->console && !(c->clients[i]->events & EPOLLOUT))
			(void)console_send(c->clients[i]);
}

/* Feed what the writer typed that the guest had no room for. */
static void console_feed(struct control_client *cl)
{
	while (cl->inlen) {
		size_t n = console_input_feed(cl->vm, cl->inbuf + cl->inoff, cl->inlen);

		if (!n)
			break;
		cl->inoff += n;
		cl->inlen -= n;
	}
	(void)console_rewatch(cl, (cl->inlen ? 0 : EPOLLIN) | (cl->events & EPOLLOUT));
}

static void console_room(void *opaque)
{
	struct control_client *cl = opaque;

	if (cl->inlen)
		console_feed(cl);
}

static int console_read(struct control_client *cl)
{
	ssize_t n = recv(cl->fd, cl->inbuf, sizeof(cl->inbuf), MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -ECONNRESET;
	if (!cl->writer)
		return 0;   /* read-only: what it sends goes nowhere */
	cl->inoff = 0;
	cl->inlen = (size_t)n;
	console_feed(cl);
	return 0;
}

static int console_begin(struct control_client *cl)
{
	struct control *c = cl->ctl;
	struct console_output *o = cl->vm->console_out;
	char line[160];
	uint64_t start;
	int r;

	if (!c)
		return -EOPNOTSUPP;
	cl->writer = true;
	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i] && c->clients[i]->console && c->clients[i]->writer)
			cl->writer = false;
	if (c->consoles++ == 0) {
		console_output_watch(o, true);
		r = loop_add(c->loop, console_output_watch_fd(o), EPOLLIN, on_console_output, c);
		if (r < 0) {
			c->consoles--;
			console_output_watch(o, false);
			return r;
		}
	}
	cl->console = true;
	if (cl->writer)
		console_input_on_room(cl->vm, console_room, cl);
	start = console_output_history_start(o);
	cl->pos = start;
	snprintf(line, sizeof(line), "{\"ok\":true,\"console\":\"%s\",\"port\":\"%s\"}",
		 cl->writer ? "read-write" : "read-only",
		 console_port_name(cl->vm) ? console_port_name(cl->vm) : "none");
	r = send_line(cl->fd, line);
	if (r < 0)
		return r;
	return console_send(cl);
}

static void console_end(struct control_client *cl)
{
	struct control *c = cl->ctl;

	if (!cl->console || !c)
		return;
	cl->console = false;
	if (cl->writer)
		console_input_on_room(cl->vm, NULL, NULL);
	if (--c->consoles == 0) {
		loop_remove(c->loop, console_output_watch_fd(cl->vm->console_out));
		console_output_watch(cl->vm->console_out, false);
	}
}

static int on_line(void *userdata, const char *line, size_t len, bool too_long)
{
	struct control_client *cl = userdata;
	_cleanup_free_ char *reply = NULL;
	char *grown;
	int r;

	r = too_long ? control_reply_too_long(&reply) : control_execute(cl->vm, line, len, &reply);
	if (r < 0)
		return r;
	if (r == CONTROL_CONSOLE)
		return console_begin(cl);
	/* Room for send_line()'s newline. */
	grown = realloc(reply, strlen(reply) + 2);
	if (!grown)
		return -ENOMEM;
	reply = grown;
	return send_line(cl->fd, reply);
}

int control_client_read(struct control_client *cl)
{
	char buf[CONTROL_MAX_LINE];

	if (cl->console)
		return console_read(cl);
	ssize_t n = recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -ECONNRESET;
	return control_lines_feed(&cl->in, buf, (size_t)n, on_line, cl);
}

static void drop_client(struct control *c, unsigned i)
{
	console_end(c->clients[i]);
	loop_remove(c->loop, c->clients[i]->fd);
	control_client_free(c->clients[i]);
	c->clients[i] = NULL;
}

static void on_client(struct loop *l, int fd, uint32_t events, void *opaque)
{
	struct control *c = opaque;

	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		struct control_client *cl = c->clients[i];
		int r = 0;

		if (!cl || cl->fd != fd)
			continue;
		if ((events & EPOLLOUT) && cl->console)
			r = console_send(cl);
		if (r == 0 && (events & EPOLLIN))
			r = control_client_read(cl);
		if (r < 0 || (events & (EPOLLHUP | EPOLLERR)))
			drop_client(c, i);
		return;
	}
}

/* Root, or the user partvm runs as; the file mode says the same, this
 * holds even if someone loosens it. */
static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

static void refuse(int fd, const char *why)
{
	char line[160];

	snprintf(line, sizeof(line), "{\"ok\":false,\"error\":\"%s\"}\n", why);
	(void)!send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

static void on_accept(struct loop *l, int fd, uint32_t events, void *opaque)
{
	struct control *c = opaque;
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	unsigned i;

	if (cfd < 0)
		return;
	if (!peer_allowed(cfd)) {
		refuse(cfd, "permission denied");
		return;
	}
	for (i = 0; i < CONTROL_MAX_CLIENTS && c->clients[i]; i++)
		;
	if (i == CONTROL_MAX_CLIENTS) {
		refuse(cfd, "too many connections");
		return;
	}
	c->clients[i] = control_client_new(c->vm, cfd);
	if (!c->clients[i]) {
		close(cfd);
		return;
	}
	c->clients[i]->ctl = c;
	c->clients[i]->events = EPOLLIN;
	if (loop_add(l, cfd, EPOLLIN, on_client, c) < 0) {
		control_client_free(c->clients[i]);
		c->clients[i] = NULL;
	}
}

/* Is there a live server on PATH? 1 yes, 0 no (no file, or stale), or a
 * negative errno when we cannot tell. */
static int socket_alive(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return 1;
	if (errno == ENOENT || errno == ECONNREFUSED)
		return 0;
	return -errno;
}

/*
 * Bind a fresh socket under a temporary name, then link() it to PATH:
 * PATH only ever names a socket that listens, and of two partvms started
 * with one name, exactly one gets it.
 */
static int make_socket(struct control *c, const char *runtime, const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;
	struct stat st;
	mode_t old;
	int n, r;

	n = snprintf(c->path, sizeof(c->path), "%s/%s" CONTROL_SOCKET_SUFFIX, runtime, name);
	if (n < 0 || (size_t)n >= sizeof(c->path))
		return -ENAMETOOLONG;
	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/.%s.%d.tmp", runtime, name, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	if (mkdir(runtime, 0755) < 0 && errno != EEXIST)
		return -errno;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(sa.sun_path);
	/* Mode 0600 from the start; no vCPU thread runs yet to mind the umask. */
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old);
	if (r < 0)
		return r;
	if (listen(fd, CONTROL_MAX_CLIENTS) < 0 || stat(sa.sun_path, &st) < 0) {
		r = -errno;
		unlink(sa.sun_path);
		return r;
	}

	for (int attempt = 0; attempt < 2; attempt++) {
		if (link(sa.sun_path, c->path) == 0) {
			r = 0;
			break;
		}
		r = -errno;
		if (r != -EEXIST)
			break;
		n = socket_alive(c->path);
		if (n != 0) {
			r = n > 0 ? -EADDRINUSE : n;
			break;
		}
		log_notice("removing stale control socket %s (the partvm that made it is gone)", c->path);
		if (unlink(c->path) < 0 && errno != ENOENT) {
			r = -errno;
			break;
		}
	}
	unlink(sa.sun_path);
	if (r < 0)
		return r;
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->fd = TAKE_FD(fd);
	return 0;
}

int control_open(struct vm *vm, struct loop *loop, const char *runtime, const char *name,
		 struct control **out)
{
	struct control *c = calloc(1, sizeof(*c));
	int r;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->vm = vm;
	c->loop = loop;
	c->fd = -1;
	r = make_socket(c, runtime, name);
	if (r < 0) {
		free(c);
		return r;
	}
	r = loop_add(loop, c->fd, EPOLLIN, on_accept, c);
	if (r < 0) {
		c->loop = NULL;
		control_close(c);
		return r;
	}
	*out = c;
	return 0;
}

void control_close(struct control *c)
{
	struct stat st;

	if (!c)
		return;
	for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i])
			drop_client(c, i);
	if (c->fd >= 0) {
		if (c->loop)
			loop_remove(c->loop, c->fd);
		/* Only our own socket: someone may have replaced it. */
		if (stat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
			unlink(c->path);
		close(c->fd);
	}
	free(c);
}
