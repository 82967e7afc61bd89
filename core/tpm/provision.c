// SPDX-License-Identifier: GPL-2.0-only
#include "core/tpm/provision.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util/cleanup.h"

/* Run swtpm_setup with ARGV, its output appended to LOG_FD. */
static int run(const char *path, char *const argv[], int log_fd)
{
	pid_t parent = getpid(), pid;
	int status;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		sigset_t none;

		/* swtpm_setup and the swtpm it starts stop with partvm. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
			_exit(127);
		close(0);
		syscall(SYS_close_range, 3, ~0U, 0);
		execv(path, argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? -ENOEXEC : -EIO;
}

int tpm_provision(const char *setup_path, const char *dir, const char *runas, uid_t uid, gid_t gid,
		  bool *ek_cert)
{
	_cleanup_free_ char *log = NULL;
	_cleanup_close_ int log_fd = -1;
	int r;

	if (asprintf(&log, "%s/" TPM_PROVISION_LOG, dir) < 0)
		return -ENOMEM;
	log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (log_fd < 0)
		return -errno;
	/* swtpm_setup --runas opens its --logfile as that user. */
	if (runas && fchown(log_fd, uid, gid) < 0)
		return -errno;

	/* With a certificate first; without the local CA that fails, and the
	 * TPM is made again without one. */
	char *const with_cert[] = {
		(char *)"swtpm_setup", (char *)"--tpm2", (char *)"--tpmstate", (char *)dir,
		(char *)"--pcr-banks", (char *)"sha256", (char *)"--create-ek-cert",
		(char *)"--lock-nvram", (char *)"--overwrite", (char *)"--logfile", log,
		runas ? (char *)"--runas" : NULL, (char *)runas, NULL,
	};
	char *const without_cert[] = {
		(char *)"swtpm_setup", (char *)"--tpm2", (char *)"--tpmstate", (char *)dir,
		(char *)"--pcr-banks", (char *)"sha256", (char *)"--createek",
		(char *)"--lock-nvram", (char *)"--overwrite", (char *)"--logfile", log,
		runas ? (char *)"--runas" : NULL, (char *)runas, NULL,
	};

	*ek_cert = true;
	r = run(setup_path, with_cert, log_fd);
	if (r != -EIO)
		return r;
	*ek_cert = false;
	return run(setup_path, without_cert, log_fd);
}
