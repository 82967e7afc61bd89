// SPDX-License-Identifier: GPL-2.0-only
#include "core/vm/console_output.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/util/deadline.h"
#include "core/util/kick.h"
#include "core/util/log.h"
#include "core/util/ratelimit.h"
#include "core/util/sandbox.h"
#include "core/vm/stats.h"

#define CHUNK 4096

struct console_output {
	pthread_mutex_t lock;
	pthread_cond_t more;          /* bytes arrived, or stop */
	pthread_cond_t idle;          /* everything written */
	int fd;
	uint8_t *ring;
	size_t size, head, len;       /* LEN bytes from HEAD wait for FD */
	bool writing;                 /* a chunk is out of the ring, on its way */
	bool stop;
	int error;                    /* FD failed: all output is dropped */
	uint64_t dropped, reported;
	struct ratelimit rl;
	const struct sandbox *sandbox;
	uint64_t first_ns;            /* CLOCK_MONOTONIC of the first byte, 0 before */
	pthread_t thread;
	/* The last CONSOLE_HISTORY bytes, for `partvm console`: byte N of all
	 * the guest wrote is at N % CONSOLE_HISTORY while N >= total - size. */
	uint8_t *hist;
	uint64_t total;
	unsigned watchers;            /* attached consoles: wake them */
	int watch_fd;
};

/* LEN bytes (at most SIZE) into RING from index AT on, wrapping. */
static void ring_put(uint8_t *ring, size_t size, size_t at, const uint8_t *p, size_t len)
{
	while (len) {
		size_t n = len < size - at ? len : size - at;

		memcpy(ring + at, p, n);
		p += n;
		len -= n;
		at = (at + n) % size;
	}
}

/* Caller holds the lock. */
static void history_append(struct console_output *o, const uint8_t *p, size_t len)
{
	if (len > CONSOLE_HISTORY) {
		o->total += len - CONSOLE_HISTORY;
		p += len - CONSOLE_HISTORY;
		len = CONSOLE_HISTORY;
	}
	ring_put(o->hist, CONSOLE_HISTORY, (size_t)(o->total % CONSOLE_HISTORY), p, len);
	o->total += len;
}

uint64_t console_output_history_start(struct console_output *o)
{
	uint64_t start;

	pthread_mutex_lock(&o->lock);
	start = o->total > CONSOLE_HISTORY ? o->total - CONSOLE_HISTORY : 0;
	pthread_mutex_unlock(&o->lock);
	return start;
}

size_t console_output_history(struct console_output *o, uint64_t *pos, void *buf, size_t len,
			      uint64_t *skipped)
{
	uint8_t *out = buf;
	size_t done = 0;

	*skipped = 0;
	pthread_mutex_lock(&o->lock);
	if (o->total > CONSOLE_HISTORY && *pos < o->total - CONSOLE_HISTORY) {
		*skipped = o->total - CONSOLE_HISTORY - *pos;
		*pos = o->total - CONSOLE_HISTORY;
	}
	while (done < len && *pos < o->total) {
		size_t at = (size_t)(*pos % CONSOLE_HISTORY);
		size_t n = CONSOLE_HISTORY - at;

		if (n > len - done)
			n = len - done;
		if (n > o->total - *pos)
			n = (size_t)(o->total - *pos);
		memcpy(out + done, o->hist + at, n);
		done += n;
		*pos += n;
	}
	pthread_mutex_unlock(&o->lock);
	return done;
}

int console_output_watch_fd(const struct console_output *o)
{
	return o->watch_fd;
}

void console_output_watch(struct console_output *o, bool on)
{
	pthread_mutex_lock(&o->lock);
	if (on)
		o->watchers++;
	else if (o->watchers)
		o->watchers--;
	pthread_mutex_unlock(&o->lock);
}

void console_output_write(struct console_output *o, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (!o || !len)
		return;
	pthread_mutex_lock(&o->lock);
	if (!o->first_ns)
		__atomic_store_n(&o->first_ns, stats_now_ns(), __ATOMIC_RELAXED);
	history_append(o, p, len);
	if (o->watchers)
		(void)!write(o->watch_fd, &(uint64_t){ 1 }, sizeof(uint64_t));
	if (o->error) {
		o->dropped += len;
		goto out;
	}
	/* Keep the newest SIZE bytes: the oldest go first. */
	if (len > o->size) {
		o->dropped += len - o->size;
		p += len - o->size;
		len = o->size;
	}
	if (o->len + len > o->size) {
		size_t lose = o->len + len - o->size;

		o->head = (o->head + lose) % o->size;
		o->len -= lose;
		o->dropped += lose;
	}
	ring_put(o->ring, o->size, (o->head + o->len) % o->size, p, len);
	o->len += len;
	pthread_cond_signal(&o->more);
out:
	pthread_mutex_unlock(&o->lock);
}

uint64_t console_output_dropped(struct console_output *o)
{
	uint64_t n;

	if (!o)
		return 0;
	pthread_mutex_lock(&o->lock);
	n = o->dropped;
	pthread_mutex_unlock(&o->lock);
	return n;
}

/* Write LEN bytes to FD; a kick with STOP set ends it early. Returns the
 * bytes not written (0 when all went), or a negative errno. */
static ssize_t write_out(struct console_output *o, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(o->fd, p, len);

		if (n < 0 && errno == EINTR) {
			if (__atomic_load_n(&o->stop, __ATOMIC_ACQUIRE))
				return (ssize_t)len;
			continue;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *writer(void *arg)
{
	struct console_output *o = arg;
	uint8_t chunk[CHUNK];
	sigset_t pipe;

	/* Its own name first, as vCPU threads do (see vcpu_thread()). */
	pthread_setname_np(pthread_self(), "console-out");
	/* A reader that went away is an error to count, not a signal that
	 * ends the partition. */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	thread_kick_accept();
	if (sandbox_enter(o->sandbox, SANDBOX_CONSOLE) < 0) {
		/* Fail closed: no output rather than output unfiltered. */
		log_error("console output: cannot enter its seccomp filter; guest output is dropped");
		return NULL;
	}

	pthread_mutex_lock(&o->lock);
	for (;;) {
		size_t n;
		ssize_t left;
		unsigned suppressed;
		uint64_t lost;

		while (!o->len && !o->stop) {
			pthread_cond_broadcast(&o->idle);
			pthread_cond_wait(&o->more, &o->lock);
		}
		if (o->stop)
			break;
		n = o->len < CHUNK ? o->len : CHUNK;
		if (n > o->size - o->head)
			n = o->size - o->head;
		memcpy(chunk, o->ring + o->head, n);
		o->head = (o->head + n) % o->size;
		o->len -= n;
		o->writing = true;
		pthread_mutex_unlock(&o->lock);

		left = write_out(o, chunk, n);

		pthread_mutex_lock(&o->lock);
		o->writing = false;
		if (left > 0)
			o->dropped += (uint64_t)left;
		if (left < 0) {
			o->error = (int)-left;
			o->dropped += n + o->len;
			o->len = 0;
			pthread_mutex_unlock(&o->lock);
			log_warning("console: cannot write the guest's output (%s); it is dropped "
				    "from now on", strerror((int)-left));
			pthread_mutex_lock(&o->lock);
			continue;
		}
		lost = o->dropped - o->reported;
		if (lost && !o->stop && ratelimit_pass(&o->rl, &suppressed)) {
			uint64_t total = o->dropped;

			o->reported = o->dropped;
			pthread_mutex_unlock(&o->lock);
			log_warning("console: %llu bytes of guest output dropped (%llu in all): stdout "
				    "does not keep up with the guest", (unsigned long long)lost,
				    (unsigned long long)total);
			pthread_mutex_lock(&o->lock);
		}
	}
	pthread_cond_broadcast(&o->idle);
	pthread_mutex_unlock(&o->lock);
	return NULL;
}

int console_output_create(struct console_output **out, int fd, size_t size,
			  const struct sandbox *sb)
{
	struct console_output *o = calloc(1, sizeof(*o));
	int r;

	*out = NULL;
	if (!o || !size)
		goto nomem;
	o->ring = malloc(size);
	o->hist = malloc(CONSOLE_HISTORY);
	o->watch_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!o->ring || !o->hist || o->watch_fd < 0)
		goto nomem;
	o->size = size;
	o->fd = fd;
	o->sandbox = sb;
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->more, NULL);
	pthread_cond_init(&o->idle, NULL);
	/* One line per ten seconds is enough to say it goes on. */
	ratelimit_init(&o->rl, 10, 1);
	thread_kick_install();
	r = -pthread_create(&o->thread, NULL, writer, o);
	if (r < 0) {
		close(o->watch_fd);
		free(o->hist);
		free(o->ring);
		free(o);
		return r;
	}
	*out = o;
	return 0;
nomem:
	if (o) {
		if (o->watch_fd > 0)
			close(o->watch_fd);
		free(o->hist);
		free(o->ring);
	}
	free(o);
	return -ENOMEM;
}

int console_output_flush(struct console_output *o, int timeout_ms)
{
	struct timespec until;
	int r = 0;

	if (!o)
		return 0;
	deadline_after_ms(&until, timeout_ms);
	pthread_mutex_lock(&o->lock);
	while ((o->len || o->writing) && !o->error && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&o->idle, &o->lock, &until);
	r = o->len || o->writing ? -ETIMEDOUT : -o->error;
	pthread_mutex_unlock(&o->lock);
	return r;
}

void console_output_free(struct console_output *o, int timeout_ms)
{
	uint64_t lost;

	if (!o)
		return;
	console_output_flush(o, timeout_ms);
	pthread_mutex_lock(&o->lock);
	__atomic_store_n(&o->stop, true, __ATOMIC_RELEASE);
	pthread_cond_signal(&o->more);
	pthread_mutex_unlock(&o->lock);

	/* The thread may be in a write that never returns: kick it until it
	 * has seen STOP (a kick just before it enters write() is lost). */
	for (;;) {
		struct timespec t;

		thread_kick(o->thread);
		deadline_after_ms(&t, 20);
		if (pthread_timedjoin_np(o->thread, NULL, &t) == 0)
			break;
	}
	lost = o->dropped + o->len;
	if (lost)
		log_warning("console: %llu bytes of guest output were dropped: stdout did not take "
			    "them", (unsigned long long)lost);
	pthread_cond_destroy(&o->more);
	pthread_cond_destroy(&o->idle);
	pthread_mutex_destroy(&o->lock);
	close(o->watch_fd);
	free(o->hist);
	free(o->ring);
	free(o);
}

uint64_t console_output_first_ns(const struct console_output *o)
{
	return o ? __atomic_load_n(&o->first_ns, __ATOMIC_RELAXED) : 0;
}
