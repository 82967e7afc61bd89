// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket as a client sees it: bytes in any chunking through
 * the line framing (control_lines_feed), each line through the request
 * parser and the commands (control_execute, for the first 256 lines) on a
 * VM without KVM (tests/unit/fake_vm.h), and the same bytes over a connected socket
 * through control_client_read(), which frames, answers and sends (for
 * streams of up to 16 requests: each reply is a system call).
 * The first 4 bytes choose the chunk sizes (1 to 12 KiB, so chunks
 * straddle CONTROL_MAX_LINE); the rest is the stream.
 *
 * Checks: the lines are the same whatever the chunking and are what the
 * documented framing makes of the stream (split at "\n", one "\r" before
 * it dropped, empty lines skipped, a line over CONTROL_MAX_LINE reported
 * once as too long and never passed on cut short); every line gets one
 * reply, one line of JSON with "ok", an error saying what is wrong; a
 * refused request leaves the VM as it was; the socket sends exactly the
 * replies the direct path made, until it gives up on a client that does
 * not read.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "core/service/control.h"
#include "core/util/log.h"
#include "tests/unit/fake_vm.h"

#define NPATTERN 4
#define SOCKET_MAX_LINES 16
#define EXECUTE_MAX_LINES 256

/* A growing byte buffer. */
struct buf {
	char *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

/* Events as "L<len>:<bytes>" or "T". */
static void event_add(struct buf *b, const char *line, size_t len, bool too_long)
{
	char head[32];

	if (too_long) {
		buf_add(b, "T", 1);
		return;
	}
	snprintf(head, sizeof(head), "L%zu:", len);
	buf_add(b, head, strlen(head));
	buf_add(b, line, len);
}

struct direct {
	struct vm *vm;
	struct buf events;
	struct buf replies;      /* each followed by "\n", as sent */
	size_t nlines;
};

static bool get_bool(struct json_object *o, const char *key, bool *v)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, key, &x) || !json_object_is_type(x, json_type_boolean))
		return false;
	*v = json_object_get_boolean(x);
	return true;
}

static void check_reply(const char *reply, bool changed)
{
	struct json_object *o, *err;
	bool ok;

	if (!reply || strchr(reply, '\n'))
		abort();
	o = json_tokener_parse(reply);
	if (!o || !json_object_is_type(o, json_type_object) || !get_bool(o, "ok", &ok))
		abort();
	if (!ok && (!json_object_object_get_ex(o, "error", &err) ||
		    !json_object_is_type(err, json_type_string) || !json_object_get_string_len(err)))
		abort();
	/* Nothing but a command that succeeded changes the VM. */
	if (changed && !ok)
		abort();
	json_object_put(o);
}

static int on_line(void *userdata, const char *line, size_t len, bool too_long)
{
	struct direct *d = userdata;
	enum vm_run_state state = d->vm->state;
	enum vm_stop_reason stop = d->vm->stop_reason;
	char *reply = NULL;
	int r;

	if (too_long ? (line || len) :
		       (!line || !len || len > CONTROL_MAX_LINE || memchr(line, '\n', len)))
		abort();
	event_add(&d->events, line, len, too_long);
	/* Past that many, lines are only framed (the requests' coverage is
	 * had by then; a long stream of them is slow). */
	if (++d->nlines > EXECUTE_MAX_LINES)
		return 0;
	r = too_long ? control_reply_too_long(&reply) : control_execute(d->vm, line, len, &reply);
	if (r < 0)
		abort();
	check_reply(reply, d->vm->state != state || d->vm->stop_reason != stop);
	if (!too_long && memchr(line, '\0', len) && strstr(reply, "\"ok\":true"))
		abort();
	buf_add(&d->replies, reply, strlen(reply));
	buf_add(&d->replies, "\n", 1);
	free(reply);
	return 0;
}

static int record_only(void *userdata, const char *line, size_t len, bool too_long)
{
	event_add(userdata, line, len, too_long);
	return 0;
}

/* The documented framing, written out. */
static void model(const char *s, size_t n, struct buf *out)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		size_t raw = i - start, len = raw;

		if (i < n && s[i] != '\n')
			continue;
		if (raw > CONTROL_MAX_LINE) {
			event_add(out, NULL, 0, true);
		} else if (i < n) {
			if (len && s[start + len - 1] == '\r')
				len--;
			if (len)
				event_add(out, s + start, len, false);
		}
		start = i + 1;
	}
}

static size_t chunk_size(const uint8_t *pattern, size_t i)
{
	uint8_t b = pattern[i % NPATTERN];

	return b < 0x80 ? (size_t)b + 1 : (size_t)(b - 0x7f) * 97;
}

/* The same stream over a socket: what control_client_read() sends back. */
static void over_socket(const uint8_t *pattern, const char *s, size_t n, const struct buf *want)
{
	struct vm_config cfg;
	struct vm vm;
	struct control_client *cl;
	struct buf got = { 0 };
	static char rbuf[65536];
	int sv[2], r = 0, pending;
	ssize_t k;

	fake_vm_init(&vm, &cfg, "fuzz", 0);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	cl = control_client_new(&vm, sv[0]);
	if (!cl)
		abort();
	for (size_t off = 0, i = 0; off < n && r == 0; i++) {
		size_t c = chunk_size(pattern, i);

		if (c > n - off)
			c = n - off;
		if (send(sv[1], s + off, c, MSG_DONTWAIT) != (ssize_t)c)
			abort();
		off += c;
		do {
			r = control_client_read(cl);
			if (ioctl(sv[0], FIONREAD, &pending) < 0)
				abort();
		} while (r == 0 && pending > 0);
		while ((k = recv(sv[1], rbuf, sizeof(rbuf), MSG_DONTWAIT)) > 0)
			buf_add(&got, rbuf, (size_t)k);
	}
	/* The replies are the direct path's, all of them unless the client
	 * was given up on because its replies piled up unread. */
	if (r < 0 && r != -EAGAIN)
		abort();
	if (got.len > want->len || (got.len && memcmp(got.p, want->p, got.len)) ||
	    (r == 0 && got.len != want->len))
		abort();
	control_client_free(cl);
	close(sv[1]);
	free(got.p);
	fake_vm_free(&vm, &cfg);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* pause, stop and reboot log a line each. */
	log_set_max_level(LOG_WARNING);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t one[NPATTERN] = { 0xff, 0xff, 0xff, 0xff };
	struct control_lines *lb = calloc(1, sizeof(*lb));
	struct buf whole = { 0 }, expect = { 0 };
	struct direct d = { 0 };
	struct vm_config cfg;
	struct vm vm;
	const uint8_t *pattern = one;
	const char *s;
	size_t n;

	if (!lb)
		abort();
	if (size >= NPATTERN) {
		pattern = data;
		data += NPATTERN;
		size -= NPATTERN;
	}
	s = (const char *)data;
	n = size;

	/* In one piece, and as the model says. */
	if (control_lines_feed(lb, s, n, record_only, &whole) < 0)
		abort();
	model(s, n, &expect);
	if (whole.len != expect.len || (whole.len && memcmp(whole.p, expect.p, whole.len)))
		abort();

	/* In chunks, answering each line. */
	fake_vm_init(&vm, &cfg, "fuzz", 0);
	d.vm = &vm;
	memset(lb, 0, sizeof(*lb));
	for (size_t off = 0, i = 0; off < n; i++) {
		size_t c = chunk_size(pattern, i);

		if (c > n - off)
			c = n - off;
		if (control_lines_feed(lb, s + off, c, on_line, &d) < 0)
			abort();
		off += c;
	}
	if (d.events.len != whole.len || (whole.len && memcmp(d.events.p, whole.p, whole.len)))
		abort();
	fake_vm_free(&vm, &cfg);

	/* A send per reply: over the socket only while that stays cheap. */
	if (d.nlines <= SOCKET_MAX_LINES)
		over_socket(pattern, s, n, &d.replies);

	free(whole.p);
	free(expect.p);
	free(d.events.p);
	free(d.replies.p);
	free(lb);
	return 0;
}
