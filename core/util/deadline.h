/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Deadlines in the two forms partvm waits with:
 *
 *   now_ms()             CLOCK_MONOTONIC in milliseconds, for a deadline
 *                        "now_ms() + timeout" counted down between poll()s
 *                        (the wall clock may jump; this one does not);
 *   deadline_after_ms()  an absolute CLOCK_REALTIME timespec MS milliseconds
 *                        from now, the form pthread_cond_timedwait() and
 *                        pthread_timedjoin_np() take.
 */
#ifndef PARTVM_UTIL_DEADLINE_H
#define PARTVM_UTIL_DEADLINE_H

#include <stdint.h>
#include <time.h>

static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void deadline_after_ms(struct timespec *t, long ms)
{
	clock_gettime(CLOCK_REALTIME, t);
	t->tv_sec += ms / 1000;
	t->tv_nsec += (ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

#endif
