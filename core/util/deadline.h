/* SPDX-License-Identifier: GPL-2.0-only */
/* An absolute CLOCK_REALTIME deadline MS milliseconds from now, the form
 * pthread_cond_timedwait() and pthread_timedjoin_np() take. */
#ifndef PARTVM_UTIL_DEADLINE_H
#define PARTVM_UTIL_DEADLINE_H

#include <time.h>

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
