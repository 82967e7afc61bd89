// SPDX-License-Identifier: GPL-2.0-only
/* core/uevent: the initial state check, a real kernel uevent (a synthetic
 * "change" on the loopback interface, harmless and always present), and
 * the deadline. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/util/uevent.h"

struct seen {
	int calls_without_event;
	char action[32];
	char sysname[64];
	char subsystem[32];
};

static int want_lo_change(const struct uevent *ev, void *userdata)
{
	struct seen *s = userdata;

	if (!ev) {
		s->calls_without_event++;
		return 0;
	}
	if (!ev->sysname || strcmp(ev->sysname, "lo") != 0)
		return 0;
	snprintf(s->action, sizeof(s->action), "%s", ev->action ? ev->action : "");
	snprintf(s->sysname, sizeof(s->sysname), "%s", ev->sysname);
	snprintf(s->subsystem, sizeof(s->subsystem), "%s", ev->subsystem ? ev->subsystem : "");
	return 7;
}

static int already_true(const struct uevent *ev, void *userdata)
{
	int *n = userdata;
	(*n)++;
	return ev ? 0 : 3;
}

static int abort_on_check(const struct uevent *ev, void *userdata)
{
	return -EPERM;
}

static void test_current_state_ends_wait(void **state)
{
	_cleanup_uevent_waiter_ struct uevent_waiter *w = NULL;
	int calls = 0;

	assert_int_equal(uevent_waiter_new("pci", &w), 0);
	/* No event is needed when the condition already holds. */
	assert_int_equal(uevent_wait(w, 10000, already_true, &calls), 3);
	assert_int_equal(calls, 1);
	assert_int_equal(uevent_wait(w, 10000, abort_on_check, NULL), -EPERM);
}

static void test_event_is_delivered(void **state)
{
	_cleanup_uevent_waiter_ struct uevent_waiter *w = NULL;
	struct seen s = { 0 };
	int fd;

	assert_int_equal(uevent_waiter_new("net", &w), 0);
	/* Writing an action to a uevent file makes the kernel emit it. */
	fd = open("/sys/class/net/lo/uevent", O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "change", 6), 6);
	close(fd);

	assert_int_equal(uevent_wait(w, 5000, want_lo_change, &s), 7);
	assert_int_equal(s.calls_without_event, 1);
	assert_string_equal(s.action, "change");
	assert_string_equal(s.sysname, "lo");
	assert_string_equal(s.subsystem, "net");
}

static void test_deadline(void **state)
{
	_cleanup_uevent_waiter_ struct uevent_waiter *w = NULL;
	struct seen s = { 0 };

	/* No vfio events happen here, so the wait must end by its deadline. */
	assert_int_equal(uevent_waiter_new("vfio", &w), 0);
	assert_int_equal(uevent_wait(w, 200, want_lo_change, &s), -ETIMEDOUT);
	assert_int_equal(s.calls_without_event, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_current_state_ends_wait),
		cmocka_unit_test(test_event_is_delivered),
		cmocka_unit_test(test_deadline),
	};
	return cmocka_run_group_tests_name("uevent", tests, NULL, NULL);
}
