// SPDX-License-Identifier: GPL-2.0-only
#include "core/tpm/statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/process.h"

#define LOCK_WAIT_MS   3000
#define LOCK_RETRY_MS  100

int tpm_statedir_prepare(const char *dir, char *why, size_t len)
{
	return tpm_statedir_prepare_for(dir, geteuid(), getegid(), why, len);
}

/* Whether OWNER:GROUP may search every directory above DIR (mode bits;
 * supplementary groups and ACLs aside): swtpm runs as them and opens its
 * state by path. On refusal WHY names the directory in the way. */
static bool reachable(const char *dir, uid_t owner, gid_t group, char *why, size_t len)
{
	char path[PATH_MAX];
	struct stat st;
	char *slash;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return true;      /* too long to walk: swtpm will say */
	while ((slash = strrchr(path, '/'))) {
		mode_t need;

		if (slash == path)
			slash[1] = '\0';         /* "/" itself */
		else
			*slash = '\0';
		if (stat(path, &st) < 0)
			return true;
		need = st.st_uid == owner ? S_IXUSR : st.st_gid == group ? S_IXGRP : S_IXOTH;
		if (!(st.st_mode & need)) {
			snprintf(why, len, "uid %u cannot reach it: '%s' is mode %04o of uid %u",
				 (unsigned)owner, path, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
			return false;
		}
		if (slash == path)
			break;
	}
	return true;
}

int tpm_statedir_prepare_for(const char *dir, uid_t owner, gid_t group, char *why, size_t len)
{
	_cleanup_free_ char *state = NULL;
	struct stat st;
	bool made;

	/* swtpm's options are comma-separated: a comma cannot be quoted. */
	if (strchr(dir, ',')) {
		snprintf(why, len, "the path must not contain ','");
		return -EINVAL;
	}
	if (owner != geteuid() && !reachable(dir, owner, group, why, len))
		return -EACCES;
	made = mkdir(dir, 0700) == 0;
	if (!made && errno != EEXIST) {
		snprintf(why, len, "cannot create it");
		return -errno;
	}
	/* For partvm's user (user =), who runs swtpm on it. */
	if (made && owner != geteuid() && chown(dir, owner, group) < 0) {
		snprintf(why, len, "cannot give it to uid %u", (unsigned)owner);
		return -errno;
	}
	if (stat(dir, &st) < 0) {
		snprintf(why, len, "cannot access it");
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, len, "not a directory");
		return -ENOTDIR;
	}
	/* The TPM's secrets live here: whoever else can write the directory
	 * can swap them, or plant links for partvm and swtpm to follow. */
	if (st.st_uid != owner) {
		snprintf(why, len, "owned by uid %u, not by uid %u that partvm and swtpm run as; chown it",
			 (unsigned)st.st_uid, (unsigned)owner);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, len, "writable by %s (mode %04o); chmod go-w it",
			 st.st_mode & S_IWOTH ? "everyone" : "its group", (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	if (access(dir, W_OK | X_OK) < 0) {
		snprintf(why, len, "not writable");
		return -errno;
	}
	if (asprintf(&state, "%s/" TPM_STATEDIR_STATE, dir) < 0)
		return -ENOMEM;
	if (lstat(state, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(why, len, TPM_STATEDIR_STATE " in it is not a regular file");
		return -EPERM;
	}
	/* A TPM made by another user (root, before user = was set): swtpm
	 * as OWNER could not open it. */
	if (lstat(state, &st) == 0 && st.st_uid != owner) {
		snprintf(why, len, TPM_STATEDIR_STATE " in it belongs to uid %u, not to uid %u that swtpm "
			 "runs as; chown -R it", (unsigned)st.st_uid, (unsigned)owner);
		return -EPERM;
	}
	return 0;
}

/* The holder recorded in the lock file: pid and name. */
static pid_t read_owner(int fd, char *name, size_t len)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *nl;
	long pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &nl, 10);
	if (*nl != '\n' || pid <= 0)
		return 0;
	snprintf(name, len, "%.*s", (int)strcspn(nl + 1, "\n"), nl + 1);
	return (pid_t)pid;
}

int tpm_statedir_lock(const char *dir, const char *name, char *owner, size_t len)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	char text[320];
	int n;

	if (asprintf(&path, "%s/" TPM_STATEDIR_LOCK, dir) < 0)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited += LOCK_RETRY_MS) {
		char who[128] = "";
		pid_t pid;

		if (errno != EWOULDBLOCK)
			return -errno;
		pid = read_owner(fd, who, sizeof(who));
		/* A live holder is final; a dead one's swtpm is about to go
		 * (dead includes exited and not yet reaped). */
		if (process_alive(pid)) {
			snprintf(owner, len, "'%s' (pid %d)", who, (int)pid);
			return -EBUSY;
		}
		if (waited >= LOCK_WAIT_MS) {
			if (pid > 0)
				snprintf(owner, len, "'%s' (pid %d, gone, but its swtpm still runs)",
					 who, (int)pid);
			else
				snprintf(owner, len, "of unknown name");
			return -EBUSY;
		}
		usleep(LOCK_RETRY_MS * 1000);
	}
	n = snprintf(text, sizeof(text), "%d\n%.256s\n", (int)getpid(), name);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, text, (size_t)n, 0) != n)
		return -errno;
	return TAKE_FD(fd);
}

bool tpm_statedir_provisioned(const char *dir)
{
	_cleanup_free_ char *path = NULL;
	struct stat st;

	if (asprintf(&path, "%s/" TPM_STATEDIR_STATE, dir) < 0)
		return false;
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

int tpm_statedir_save_eventlog(const char *dir, const void *log, size_t len)
{
	_cleanup_free_ char *path = NULL, *tmp = NULL;
	_cleanup_close_ int fd = -1;
	int r = 0;

	if (asprintf(&path, "%s/" TPM_STATEDIR_EVENTLOG, dir) < 0 ||
	    asprintf(&tmp, "%s/." TPM_STATEDIR_EVENTLOG ".tmp", dir) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, log, len) != (ssize_t)len || fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}
