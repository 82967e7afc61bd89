// SPDX-License-Identifier: GPL-2.0-only
/* Other processes: process_alive() on this process, a child that has been
 * reaped or has exited and waits to be (a zombie), and a process of another user (kill() gives EPERM, yet it
 * lives); who has a file open, in the real /proc (a child holding a file
 * is found by path and by inode, under its name; once it is gone, no one
 * is) and in a fake tree (the root prefix, PID order, SKIP). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util/process.h"
#include "tests/unit/fake_sysfs.h"
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

/* Exited, not yet reaped: kill(PID, 0) still succeeds, but it holds
 * nothing any more. A restorer waiting on partvm's pidfd wakes right then,
 * while partvm's parent has not reaped it yet. */
static void test_zombie_child_is_gone(void **state)
{
	siginfo_t si = { 0 };
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT), 0);
	assert_int_equal(kill(child, 0), 0);
	assert_false(process_alive(child));
	assert_int_equal(waitpid(child, NULL, 0), child);
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

/* A child named "holder" that has PATH open until GO's write end is
 * closed. */
static pid_t start_holder(const char *path, int go[2])
{
	char c;
	pid_t child;

	assert_int_equal(pipe(go), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		close(go[1]);
		prctl(PR_SET_NAME, "holder");
		if (fd < 0)
			_exit(1);
		(void)!read(go[0], &c, 1);   /* EOF: the test is done with us */
		_exit(0);
	}
	close(go[0]);
	return child;
}

/* Whether CHILD has opened its file yet: its fd shows in /proc. */
static pid_t wait_found(const char *path, pid_t child, char *comm, size_t len)
{
	pid_t pid = 0;

	for (int i = 0; i < 500 && pid != child; i++) {
		pid = process_find_opener("", path, getpid(), comm, len);
		if (pid != child)
			usleep(10000);
	}
	return pid;
}

static void test_find_opener(void **state)
{
	char dir[] = "/tmp/partvm-process-XXXXXX", path[64], real[PATH_MAX], comm[64];
	struct stat st;
	int go[2], fd;
	pid_t child;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/image", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(stat(path, &st), 0);
	/* The link in /proc is the canonical path (/tmp may be a link). */
	assert_non_null(realpath(path, real));

	/* No one has it open. */
	assert_int_equal(process_find_opener("", real, getpid(), comm, sizeof(comm)), 0);
	assert_int_equal(process_find_opener_of("", &st, getpid(), comm, sizeof(comm)), 0);

	/* A child that holds it: found by path and by inode, under its name. */
	child = start_holder(path, go);
	assert_int_equal(wait_found(real, child, comm, sizeof(comm)), child);
	assert_string_equal(comm, "holder");
	comm[0] = '\0';
	assert_int_equal(process_find_opener_of("", &st, getpid(), comm, sizeof(comm)), child);
	assert_string_equal(comm, "holder");
	/* Not for another file. */
	assert_int_equal(process_find_opener("", "/nonexistent/image", getpid(), comm, sizeof(comm)), 0);

	/* Gone, and no one has it open again. */
	close(go[1]);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_int_equal(process_find_opener("", real, getpid(), comm, sizeof(comm)), 0);
	assert_int_equal(process_find_opener_of("", &st, getpid(), comm, sizeof(comm)), 0);

	/* This process holds it: SKIP leaves it out, or not. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(process_find_opener_of("", &st, getpid(), comm, sizeof(comm)), 0);
	assert_int_equal(process_find_opener_of("", &st, 0, comm, sizeof(comm)), getpid());
	close(fd);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* A fake /proc below a root prefix, as iommu/ and vfio/ are tested. */
static void test_find_opener_fake_root(void **state)
{
	char *root = fake_sysfs_create();
	char comm[64];

	assert_non_null(root);
	assert_int_equal(fake_sysfs_write(root, "proc/self/mountinfo", ""), 0);
	assert_int_equal(fake_sysfs_link(root, "proc/77/fd/3", "/dev/null"), 0);
	assert_int_equal(fake_sysfs_write(root, "proc/4242/comm", "kwin_wayland\n"), 0);
	assert_int_equal(fake_sysfs_link(root, "proc/4242/fd/17", "/dev/dri/card0"), 0);
	assert_int_equal(fake_sysfs_link(root, "proc/4242/fd/18", "/dev/vfio/12"), 0);
	/* A higher PID with it open too, and no comm. */
	assert_int_equal(fake_sysfs_link(root, "proc/10000/fd/5", "/dev/vfio/12"), 0);

	assert_int_equal(process_find_opener(root, "/dev/dri/card0", 0, comm, sizeof(comm)), 4242);
	assert_string_equal(comm, "kwin_wayland");
	assert_int_equal(process_find_opener(root, "/dev/dri/card1", 0, comm, sizeof(comm)), 0);
	/* PID order: 4242 before 10000 (not "10000" < "4242"). */
	assert_int_equal(process_find_opener(root, "/dev/vfio/12", 0, comm, sizeof(comm)), 4242);
	assert_int_equal(process_find_opener(root, "/dev/vfio/12", 4242, comm, sizeof(comm)), 10000);
	assert_string_equal(comm, "?");
	assert_int_equal(process_find_opener(root, "/dev/dri/card0", 4242, comm, sizeof(comm)), 0);
	fake_sysfs_destroy(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alive_self),
		cmocka_unit_test(test_reaped_child_is_gone),
		cmocka_unit_test(test_zombie_child_is_gone),
		cmocka_unit_test(test_other_users_process_lives),
		cmocka_unit_test(test_find_opener),
		cmocka_unit_test(test_find_opener_fake_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
