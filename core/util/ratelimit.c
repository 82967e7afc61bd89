// SPDX-License-Identifier: GPL-2.0-only
#include "core/util/ratelimit.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "core/util/log.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void ratelimit_init(struct ratelimit *rl, unsigned interval_s, unsigned burst)
{
	*rl = (struct ratelimit){ .interval_s = interval_s, .burst = burst };
	pthread_mutex_init(&rl->lock, NULL);
}

bool ratelimit_pass(struct ratelimit *rl, unsigned *suppressed)
{
	uint64_t now = now_ns();
	bool pass;

	pthread_mutex_lock(&rl->lock);
	if (!rl->begin_ns || now - rl->begin_ns >= (uint64_t)rl->interval_s * 1000000000ULL) {
		rl->begin_ns = now;
		rl->printed = 0;
	}
	pass = rl->printed < rl->burst;
	if (pass) {
		rl->printed++;
		*suppressed = rl->suppressed;
		rl->suppressed = 0;
	} else {
		rl->suppressed++;
		*suppressed = 0;
	}
	pthread_mutex_unlock(&rl->lock);
	return pass;
}

const char *ratelimit_note(unsigned suppressed, char *buf, size_t len)
{
	if (!suppressed)
		return "";
	snprintf(buf, len, " (%u similar message%s suppressed)", suppressed,
		 suppressed == 1 ? "" : "s");
	return buf;
}

void ratelimit_warning(struct ratelimit *rl, const char *fmt, ...)
{
	char msg[512], note[64];
	unsigned lost;
	va_list ap;

	if (!ratelimit_pass(rl, &lost))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warning("%s%s", msg, ratelimit_note(lost, note, sizeof(note)));
}
