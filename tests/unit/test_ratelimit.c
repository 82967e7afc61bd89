// SPDX-License-Identifier: GPL-2.0-only
/* Rate limits (core/util/ratelimit.c): BURST messages in an interval and no
 * more, the count held back told by the first message of a later interval,
 * the interval starting again from that message, and all of it from many
 * threads at once. The clock is CLOCK_MONOTONIC behind clock_gettime(),
 * which the test moves itself: no sleeping. */
// LDFLAGS: -Wl,--wrap=clock_gettime
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "core/util/ratelimit.h"
#include "capture.h"

#define NS 1000000000ULL

/* CLOCK_MONOTONIC as ratelimit.c sees it; 0: the real clock. Not 0 when
 * set, since a window that began at 0 reads as no window at all. */
static uint64_t fake_now;

int __real_clock_gettime(clockid_t clk, struct timespec *ts);
int __wrap_clock_gettime(clockid_t clk, struct timespec *ts);
int __wrap_clock_gettime(clockid_t clk, struct timespec *ts)
{
	if (!fake_now || clk != CLOCK_MONOTONIC)
		return __real_clock_gettime(clk, ts);
	ts->tv_sec = (time_t)(fake_now / NS);
	ts->tv_nsec = (long)(fake_now % NS);
	return 0;
}

static int setup(void **state)
{
	fake_now = 1000 * NS;
	return 0;
}

static int teardown(void **state)
{
	fake_now = 0;
	return 0;
}

/* How many of N tries pass; *LAST_NOTE gets the suppressed count the last
 * passing one reported. */
static unsigned tries(struct ratelimit *rl, unsigned n, unsigned *last_note)
{
	unsigned passed = 0, note;

	for (unsigned i = 0; i < n; i++) {
		if (ratelimit_pass(rl, &note)) {
			passed++;
			*last_note = note;
		} else {
			/* Held back: nothing to report with it. */
			assert_int_equal(note, 0);
		}
	}
	return passed;
}

static void test_burst_and_windows(void **state)
{
	struct ratelimit rl;
	unsigned note = 99;
	uint64_t t0 = fake_now;

	ratelimit_init(&rl, 10, 3);
	/* The first window: three pass, with nothing held back before them. */
	for (int i = 0; i < 3; i++) {
		assert_true(ratelimit_pass(&rl, &note));
		assert_int_equal(note, 0);
	}
	assert_int_equal(tries(&rl, 5, &note), 0);
	/* A nanosecond short of the interval is still the same window. */
	fake_now = t0 + 10 * NS - 1;
	assert_int_equal(tries(&rl, 1, &note), 0);

	/* The interval is over: the next one passes and says six were held
	 * back; then the rest of its burst, with nothing more to say. */
	fake_now = t0 + 10 * NS;
	assert_true(ratelimit_pass(&rl, &note));
	assert_int_equal(note, 6);
	note = 99;
	assert_int_equal(tries(&rl, 2, &note), 2);
	assert_int_equal(note, 0);
	assert_int_equal(tries(&rl, 4, &note), 0);

	/* The window starts at the first message after the old one ended,
	 * not on a grid of intervals from the first: a message at 25 s opens
	 * one that lasts to 35 s. */
	fake_now = t0 + 25 * NS;
	assert_int_equal(tries(&rl, 3, &note), 3);
	fake_now = t0 + 34 * NS;
	assert_int_equal(tries(&rl, 1, &note), 0);
	fake_now = t0 + 35 * NS;
	assert_true(ratelimit_pass(&rl, &note));
	assert_int_equal(note, 1);
	pthread_mutex_destroy(&rl.lock);
}

/* A quiet interval forgets nothing: what was held back before it is told
 * by whichever message passes next, however late. */
static void test_count_survives_quiet_windows(void **state)
{
	static struct ratelimit rl = RATELIMIT_INIT(10, 1);
	unsigned note = 99;

	assert_true(ratelimit_pass(&rl, &note));
	assert_int_equal(note, 0);
	assert_int_equal(tries(&rl, 4, &note), 0);
	fake_now += 100 * NS;
	assert_true(ratelimit_pass(&rl, &note));
	assert_int_equal(note, 4);
}

static void test_note(void **state)
{
	char buf[64];

	assert_string_equal(ratelimit_note(0, buf, sizeof(buf)), "");
	assert_string_equal(ratelimit_note(1, buf, sizeof(buf)), " (1 similar message suppressed)");
	assert_string_equal(ratelimit_note(4294967295u, buf, sizeof(buf)),
			    " (4294967295 similar messages suppressed)");
}

/* What the user sees: BURST lines, then silence, then one line with the
 * count. */
static void test_warning_lines(void **state)
{
	struct ratelimit rl;
	struct capture cap;
	const char *last;

	ratelimit_init(&rl, 10, 2);
	capture_begin(&cap);
	for (unsigned i = 0; i < 5; i++)
		ratelimit_warning(&rl, "guest asked for %u", i);
	fake_now += 10 * NS;
	ratelimit_warning(&rl, "guest asked for %u", 5u);
	capture_end(&cap);

	assert_int_equal(cap.lines, 3);
	assert_non_null(strstr(cap.text, "guest asked for 0\n"));
	assert_non_null(strstr(cap.text, "guest asked for 1\n"));
	assert_null(strstr(cap.text, "guest asked for 2"));
	assert_null(strstr(cap.text, "guest asked for 4"));
	last = strstr(cap.text, "guest asked for 5");
	assert_non_null(last);
	assert_string_equal(last, "guest asked for 5 (3 similar messages suppressed)\n");
	pthread_mutex_destroy(&rl.lock);
}

/* Enough tries that a lost update (the lock gone) shows in most runs. */
#define THREADS 8
#define TRIES 20000

struct worker {
	struct ratelimit *rl;
	pthread_barrier_t *start;
	unsigned passed;
	unsigned noted;
};

static void *hammer(void *opaque)
{
	struct worker *w = opaque;
	unsigned note;

	pthread_barrier_wait(w->start);
	for (unsigned i = 0; i < TRIES; i++) {
		if (ratelimit_pass(w->rl, &note))
			w->passed++;
		w->noted += note;
	}
	return NULL;
}

/* A guest can trigger the same warning from every vCPU thread at once:
 * still exactly BURST pass in the window, and every one held back is
 * counted once. */
static void test_threads(void **state)
{
	struct worker w[THREADS];
	pthread_t t[THREADS];
	pthread_barrier_t start;
	struct ratelimit rl;
	unsigned passed = 0, noted = 0, note;

	ratelimit_init(&rl, 10, 5);
	/* All at once, so that they contend from the first try. */
	pthread_barrier_init(&start, NULL, THREADS);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .rl = &rl, .start = &start };
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		passed += w[i].passed;
		noted += w[i].noted;
	}
	pthread_barrier_destroy(&start);
	assert_int_equal(passed, 5);
	assert_int_equal(noted, 0);
	fake_now += 10 * NS;
	assert_true(ratelimit_pass(&rl, &note));
	assert_int_equal(note, THREADS * TRIES - 5);
	pthread_mutex_destroy(&rl.lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_burst_and_windows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_survives_quiet_windows, setup, teardown),
		cmocka_unit_test(test_note),
		cmocka_unit_test_setup_teardown(test_warning_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
