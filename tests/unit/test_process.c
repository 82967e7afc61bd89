// SPDX-License-Identifier: GPL-2.0-only
/* Other processes: process_alive() on this process, a child that has been
 * reaped, and a process of another user (kill() gives EPERM, yet it
 * lives). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util/process.h"
#include "tests/unit/other_user.h"

static void test_alive_self(void **state)
{
	assert_true(process_alive(getpid()));
	assert_false(process_alive(0));
	assert_false(process_alive(-1));
}

static void test_reaped_child_is_gone(void **state)
{
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_false(process_alive(child));
}

static void look_at_parent(int fd, void *arg)
{
	pid_t parent = *(pid_t *)arg;
	int k = kill(parent, 0), e = errno;

	dprintf(fd, "kill %s, alive %s", k == 0 ? "ok" : e == EPERM ? "EPERM" : strerror(e),
		process_alive(parent) ? "yes" : "no");
}

/* An unprivileged partvm asking about a partition run as another user. */
static void test_other_users_process_lives(void **state)
{
	char out[128];
	pid_t self = getpid(), other;

	if (geteuid() == 0) {
		assert_int_equal(other_user_run(look_at_parent, &self, out, sizeof(out)), 0);
		assert_string_equal(out, "kill EPERM, alive yes");
		return;
	}
	other = other_user_pid();
	if (!other)
		skip();
	assert_true(process_alive(other));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alive_self),
		cmocka_unit_test(test_reaped_child_is_gone),
		cmocka_unit_test(test_other_users_process_lives),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
