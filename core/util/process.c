// SPDX-License-Identifier: GPL-2.0-only
#include "core/util/process.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/dir.h"
#include "core/util/sysfs.h"

/* proc(5): fields 3 and 22 of /proc/PID/stat, counted after the
 * parenthesised command name, which may itself contain spaces and
 * parentheses. */
int process_read_stat(const char *root, pid_t pid, char *state, unsigned long long *starttime)
{
	char rel[64], buf[1024];
	unsigned long long st;
	const char *s;
	char c;
	int r;

	snprintf(rel, sizeof(rel), "/proc/%d/stat", (int)pid);
	r = sysfs_read(root, rel, buf, sizeof(buf));
	if (r < 0)
		return r;
	s = strrchr(buf, ')');
	if (!s)
		return -EBADMSG;
	if (sscanf(s + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &c, &st) != 2)
		return -EBADMSG;
	if (state)
		*state = c;
	if (starttime)
		*starttime = st;
	return 0;
}

bool process_state_exited(char state)
{
	return state == 'Z' || state == 'X' || state == 'x';
}

bool process_alive(pid_t pid)
{
	char state;

	if (pid <= 0 || (kill(pid, 0) < 0 && errno != EPERM))
		return false;
	/* kill() also reaches a zombie, which holds nothing any more. */
	return !(process_read_stat(NULL, pid, &state, NULL) == 0 && process_state_exited(state));
}

/* What an fd must be open on: PATH by its link, else ST's file. */
struct target {
	const char *path;
	const struct stat *st;
	const char *info;             /* a line the fd's fdinfo must have */
};

/* Does FDINFO (ROOT/proc/PID/fdinfo/N) have the line LINE? */
static bool info_has(const char *fdinfo, const char *line)
{
	_cleanup_fclose_ FILE *f = fopen(fdinfo, "re");
	char buf[256];

	while (f && fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = '\0';
		if (!strcmp(buf, line))
			return true;
	}
	return false;
}

static bool fd_matches(const char *fd, const struct target *t)
{
	char link[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (t->path) {
		n = readlink(fd, link, sizeof(link) - 1);
		if (n < 0)
			return false;
		link[n] = '\0';
		return !strcmp(link, t->path);
	}
	return stat(fd, &st) == 0 && st.st_dev == t->st->st_dev && st.st_ino == t->st->st_ino &&
	       st.st_rdev == t->st->st_rdev;
}

/* A /proc entry's PID: digits only, else 0 (self, sys, ...). */
static pid_t pid_of(const char *name)
{
	char *end;
	long v;

	if (*name < '0' || *name > '9')
		return 0;
	errno = 0;
	v = strtol(name, &end, 10);
	return errno || *end || v > INT_MAX ? 0 : (pid_t)v;
}

static void read_comm(const char *root, const char *pid, char *comm, size_t len)
{
	_cleanup_fclose_ FILE *f = NULL;
	char path[PATH_MAX];

	if (len == 0)
		return;
	if (snprintf(path, sizeof(path), "%s/proc/%s/comm", root, pid) < (int)sizeof(path))
		f = fopen(path, "re");
	if (!f || !fgets(comm, len > INT_MAX ? INT_MAX : (int)len, f))
		snprintf(comm, len, "?");
	comm[strcspn(comm, "\n")] = '\0';
}

static pid_t find_opener(const char *root, const struct target *t, pid_t skip, char *comm,
			 size_t len)
{
	_cleanup_strv_free_ char **pids = NULL;
	char dir[PATH_MAX], fd[PATH_MAX];

	if (!root)
		root = "";
	if (snprintf(dir, sizeof(dir), "%s/proc", root) >= (int)sizeof(dir) ||
	    dir_list_numeric(dir, &pids) < 0)
		return 0;
	for (char **p = pids; *p; p++) {
		_cleanup_strv_free_ char **fds = NULL;
		pid_t pid = pid_of(*p);

		if (pid <= 0 || pid == skip)
			continue;
		if (snprintf(dir, sizeof(dir), "%s/proc/%s/fd", root, *p) >= (int)sizeof(dir) ||
		    dir_list(dir, &fds) < 0)
			continue;
		for (char **f = fds; *f; f++) {
			char info[PATH_MAX];

			if (snprintf(fd, sizeof(fd), "%s/%s", dir, *f) >= (int)sizeof(fd) ||
			    !fd_matches(fd, t))
				continue;
			if (t->info && (snprintf(info, sizeof(info), "%s/proc/%s/fdinfo/%s", root, *p,
						 *f) >= (int)sizeof(info) || !info_has(info, t->info)))
				continue;
			read_comm(root, *p, comm, len);
			return pid;
		}
	}
	return 0;
}

pid_t process_find_opener(const char *root, const char *path, pid_t skip, char *comm, size_t len)
{
	return find_opener(root, &(struct target){ .path = path }, skip, comm, len);
}

pid_t process_find_opener_info(const char *root, const char *path, const char *info, pid_t skip,
				char *comm, size_t len)
{
	return find_opener(root, &(struct target){ .path = path, .info = info }, skip, comm, len);
}

pid_t process_find_opener_of(const char *root, const struct stat *st, pid_t skip, char *comm,
			     size_t len)
{
	return find_opener(root, &(struct target){ .st = st }, skip, comm, len);
}
