// SPDX-License-Identifier: GPL-2.0-only
/*
 * partvm console NAME: this terminal on a running partition's console,
 * through its control socket (the `console` request): the guest's recent
 * output first, then what it writes; what is typed goes to the guest.
 * Ctrl-] detaches and leaves the partition running.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/cli/cli.h"
#include "core/cli/ctl.h"
#include "core/service/control.h"
#include "core/util/cleanup.h"
#include "core/util/json.h"
#include "core/util/log.h"
#include "core/util/sysfs.h"
#include "core/vm/console.h"
#include "core/vm/console_output.h"

#define DETACH 0x1d   /* Ctrl-] */

static void usage(FILE *f)
{
	fprintf(f, "Usage: partvm console NAME\n\n"
		   "Attach this terminal to the console of the running partition NAME, over its\n"
		   "control socket (%s/NAME.sock): the guest's last %d KiB of output first,\n"
		   "then its output as it comes, and what you type goes to the guest. Ctrl-]\n"
		   "detaches; the partition keeps running. The first console attached types; one\n"
		   "attached while it is there only watches. Root or the partition's user only.\n\n"
		   "  -h, --help\n\n"
		   "Exit status: 0 detached or the partition ended, 1 not running or refused,\n"
		   "2 bad usage.\n",
		partvm_runtime_dir(), CONSOLE_HISTORY_KIB);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The reply line; what came after it (console output) is left in
 * BUF[0..*LEFT). */
static int read_reply(int fd, char *buf, size_t cap, size_t *left, struct json_object **reply)
{
	size_t len = 0;
	char *nl = NULL;

	while (!nl) {
		ssize_t n;

		if (len + 1 >= cap)
			return -EBADMSG;
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		len += (size_t)n;
		buf[len] = '\0';
		nl = memchr(buf, '\n', len);
	}
	*nl = '\0';
	*reply = json_tokener_parse(buf);
	if (!*reply)
		return -EBADMSG;
	*left = len - (size_t)(nl + 1 - buf);
	memmove(buf, nl + 1, *left);
	return 0;
}

int cli_console(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_close_ int fd = -1;
	_cleanup_(json_object_putp) struct json_object *reply = NULL;
	struct json_object *v;
	struct console term;
	const char *name, *mode;
	char buf[65536];
	size_t left = 0;
	bool detached = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		return cli_usage_error("console", "unknown option");
	}
	if (optind + 1 != argc)
		return cli_usage_error("console", "expected one partition name");
	name = argv[optind];
	if (!control_name_valid(name))
		return cli_usage_error("console", "'%s' is not a partition name", name);
	r = cli_ctl_connect("console", name, &fd);
	if (r < 0)
		return 1;
	if (write_all(fd, "{\"command\":\"console\"}\n", 22) < 0 ||
	    read_reply(fd, buf, sizeof(buf), &left, &reply) < 0) {
		log_error("console: no reply from partition %s", name);
		return 1;
	}
	if (!json_object_object_get_ex(reply, "ok", &v) || !json_object_get_boolean(v)) {
		log_error("console: partition %s refused: %s", name,
			  json_object_object_get_ex(reply, "error", &v) ? json_object_get_string(v) : "?");
		return 1;
	}
	mode = json_object_object_get_ex(reply, "console", &v) ? json_object_get_string(v) : "?";
	fprintf(stderr, "partvm: attached to %s's console (%s%s); Ctrl-] detaches\r\n", name, mode,
		strcmp(mode, "read-only") ? "" : ": another console types");
	if (console_setup(&term) < 0)
		fprintf(stderr, "partvm: cannot put the terminal into raw mode: %s\r\n", strerror(errno));
	if (left && write_all(STDOUT_FILENO, buf, left) < 0)
		goto out;
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			n = recv(fd, buf, sizeof(buf), 0);
			if (n <= 0)
				break;   /* the partition ended */
			if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
				break;
		}
		if (p[1].revents) {
			char *d;

			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0) {
				p[1].fd = -1;
				/* Input ended (a pipe): keep watching the output. */
				for (;;) {
					n = recv(fd, buf, sizeof(buf), 0);
					if (n <= 0 || write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
						goto out;
				}
			}
			d = memchr(buf, DETACH, (size_t)n);
			if (d)
				n = d - buf;
			if (n > 0 && write_all(fd, buf, (size_t)n) < 0)
				break;
			if (d) {
				detached = true;
				break;
			}
		}
	}
out:
	console_restore();
	fprintf(stderr, "\r\npartvm: %s\r\n", detached ? "detached; the partition runs on"
						      : "the console closed (the partition ended)");
	return 0;
}
