/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Rate limits for messages a guest can trigger: at most BURST in each
 * INTERVAL, then silence, and the next message that passes says how many
 * were suppressed. Thread-safe.
 *
 *   ratelimit_init(&dev->rl, 10, 5);
 *   ratelimit_warning(&dev->rl, "guest asked for %u", what);
 */
#ifndef PARTVM_UTIL_RATELIMIT_H
#define PARTVM_UTIL_RATELIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ratelimit {
	unsigned interval_s;
	unsigned burst;
	uint64_t begin_ns;            /* start of the current interval */
	unsigned printed;             /* messages passed in it */
	unsigned suppressed;          /* messages held back since the last one passed */
	pthread_mutex_t lock;
};

#define RATELIMIT_INIT(seconds, n) \
	{ .interval_s = (seconds), .burst = (n), .lock = PTHREAD_MUTEX_INITIALIZER }

void ratelimit_init(struct ratelimit *rl, unsigned interval_s, unsigned burst);
/* May a message go out now? *SUPPRESSED gets how many were held back
 * before it (0 usually). */
bool ratelimit_pass(struct ratelimit *rl, unsigned *suppressed);
/* " (N similar messages suppressed)" or "". */
const char *ratelimit_note(unsigned suppressed, char *buf, size_t len);
/* A warning through RL: logged with the note when it may pass, else
 * counted. */
void ratelimit_warning(struct ratelimit *rl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
