/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The partition's control socket: RUNTIME/NAME.sock (partvm_runtime_dir(),
 * /run/partvm), mode 0600, a stream socket speaking JSON lines. Each
 * request is one JSON object on one line, each reply one object on one
 * line:
 *
 *   -> {"command": "status"}                    "id" (any value) is echoed
 *   <- {"ok": true, "name": "web", "state": "running", ...}
 *   -> {"command": "frobnicate"}
 *   <- {"ok": false, "error": "unknown command 'frobnicate' (status, pause, ...)"}
 *
 * Commands: status, pause, resume, shutdown (the ACPI power button; the
 * guest powers off by itself), stop (at once), reboot, stats, console. After
 * console's reply ({"ok": true, "console": "read-write"|"read-only",
 * "history": BYTES}) the connection carries raw bytes: the guest's last
 * CONSOLE_HISTORY bytes of output, then its output as it comes; what the
 * first attached client sends is the guest's console input (later ones
 * are read-only while it stays). A bad request gets
 * an error reply and the connection stays open; nothing a client sends
 * stops the VMM but `stop`. Lines are at most CONTROL_MAX_LINE bytes.
 *
 * The socket is removed on every exit of partvm but a kill -9; clients
 * (`partvm list`, `partvm ctl`) tell such a stale socket by a refused
 * connection and remove it.
 */
#ifndef PARTVM_CONTROL_H
#define PARTVM_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

struct vm;
struct loop;
struct control;
struct json_object;

#define CONTROL_MAX_LINE 4096
#define CONTROL_MAX_CLIENTS 8
#define CONTROL_SOCKET_SUFFIX ".sock"

/* --- The server (core/control.c) -------------------------------------- */

/*
 * Create RUNTIME/NAME.sock, replacing a stale one, and serve it on LOOP.
 * -EADDRINUSE when a live partvm already serves NAME; -ENAMETOOLONG when
 * the path does not fit a socket address.
 */
int control_open(struct vm *vm, struct loop *loop, const char *runtime, const char *name,
		 struct control **out);
/* Close every connection and remove the socket (NULL is fine). */
void control_close(struct control *c);

/* One connection, for the server and for tests (FD is any connected
 * stream socket). */
struct control_client;
struct control_client *control_client_new(struct vm *vm, int fd);
/* Read what FD has and answer every complete line. Returns 0 to keep the
 * connection, or a negative errno to close it (the peer left, or does not
 * read its replies). */
int control_client_read(struct control_client *cl);
void control_client_free(struct control_client *cl);

/* Lines out of a byte stream. A line longer than CONTROL_MAX_LINE is
 * reported once (TOO_LONG, LEN 0) as soon as it is, and the rest of it,
 * up to its newline, dropped. */
struct control_lines {
	char buf[CONTROL_MAX_LINE];
	size_t len;
	bool dropping;
};
typedef int (*control_line_fn)(void *userdata, const char *line, size_t len, bool too_long);
/* Feed N bytes; FN is called for each line (without "\n" or "\r\n";
 * empty lines are skipped). Stops at FN's first negative return. */
int control_lines_feed(struct control_lines *lb, const char *data, size_t n, control_line_fn fn,
		       void *userdata);

/* --- Requests (core/control_cmd.c) ------------------------------------ */

/* Answer one request LINE (LEN bytes, no newline): *REPLY is one line of
 * JSON, malloc'ed, without a newline. Returns 0, CONTROL_CONSOLE when the
 * connection is to become a console (the reply says ok), or -ENOMEM. */
#define CONTROL_CONSOLE 1
int control_execute(struct vm *vm, const char *line, size_t len, char **reply);
/* The error reply to a line over CONTROL_MAX_LINE. */
int control_reply_too_long(char **reply);

/* --- Clients (core/control_client.c): partvm list, partvm ctl --------- */

/* Is NAME usable as a partition's socket name? */
bool control_name_valid(const char *name);
/*
 * Connect to partition NAME's socket under RUNTIME. -ENOENT: no such
 * socket (not running); -ECONNREFUSED: a stale socket (its partvm is
 * gone); else the connect error.
 */
int control_connect(const char *runtime, const char *name, int *fd);
/* Remove NAME's socket if it is still stale. 0, or a negative errno
 * (-EADDRINUSE when something answers on it now). */
int control_remove_stale(const char *runtime, const char *name);
/* Send {"command": COMMAND} on FD and read the reply within TIMEOUT_MS.
 * -ETIMEDOUT, -ECONNRESET (closed without a reply), -EBADMSG (a reply
 * that is not a JSON object). */
int control_call(int fd, const char *command, int timeout_ms, struct json_object **reply);
/* The names of the sockets under RUNTIME, sorted; *NAMES is a malloc'ed
 * array of malloc'ed strings. Returns the count (0 when RUNTIME does not
 * exist). */
int control_list_names(const char *runtime, char ***names);

#endif
