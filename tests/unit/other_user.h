/* SPDX-License-Identifier: GPL-2.0-only */
/* What partvm sees of a process of another user: kill(PID, 0) fails with
 * EPERM and /proc/PID/fd is hidden. As root, a child that drops to nobody
 * (uid and gid 65534) looks at its parent and writes what it saw to a
 * pipe; unprivileged, PID 1 is such a process when another user owns it.
 * Header-only, for the tests that use it. */
#ifndef PARTVM_TEST_OTHER_USER_H
#define PARTVM_TEST_OTHER_USER_H

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define OTHER_USER_ID 65534

/* As root: FN(FD, ARG) in a child that has become nobody, with what it
 * writes to FD read into OUT (NUL-terminated). 0 when the child became
 * nobody, ran FN and exited 0; -EPERM when this process is not root;
 * another negative errno when the child could not be run. */
static inline int other_user_run(void (*fn)(int fd, void *arg), void *arg, char *out, size_t len)
{
	size_t used = 0;
	int p[2], status;
	pid_t child;
	ssize_t n;

	if (geteuid() != 0)
		return -EPERM;
	if (len == 0 || pipe(p) < 0)
		return -EINVAL;
	child = fork();
	if (child < 0)
		return -errno;
	if (child == 0) {
		close(p[0]);
		if (setgroups(0, NULL) < 0 || setgid(OTHER_USER_ID) < 0 ||
		    setuid(OTHER_USER_ID) < 0 || geteuid() != OTHER_USER_ID)
			_exit(2);
		fn(p[1], arg);
		_exit(0);
	}
	close(p[1]);
	while (used + 1 < len && (n = read(p[0], out + used, len - 1 - used)) > 0)
		used += (size_t)n;
	out[used] = '\0';
	close(p[0]);
	if (waitpid(child, &status, 0) != child)
		return -ECHILD;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* Unprivileged: a live process this one may not signal (PID 1 when
 * another user owns it), or 0 when there is none to use. */
static inline pid_t other_user_pid(void)
{
	return kill(1, 0) < 0 && errno == EPERM ? 1 : 0;
}

#endif
