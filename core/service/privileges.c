// SPDX-License-Identifier: GPL-2.0-only
#include "core/service/privileges.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/util/log.h"
#include "core/vm/config.h"
#include "core/vm/device.h"
#include "core/vm/vm.h"

int privileges_check(struct vm_config *cfg)
{
	int r;

	if (!cfg->user && geteuid() == 0) {
		/* Without it, privileges_drop() says so. */
		r = config_set_user_from_passwd(cfg, PRIVILEGES_DEFAULT_USER, "/etc/passwd");
		if (r < 0 && r != -ENOENT)
			return log_error_errno(r, "cannot look up the '%s' user: %m",
					       PRIVILEGES_DEFAULT_USER);
	}
	if (config_other_user(cfg) && geteuid() != 0)
		return log_error_errno(-EPERM, "user = %s: partvm runs as uid %u, not as root; it can "
				       "only go on as another user when started as root",
				       cfg->user, (unsigned)geteuid());
	return 0;
}

/* The restorer: this partvm binary as root, in its own session (a Ctrl-C
 * for the partition does not reach it), waiting for PID to end. */
static int start_restorer(const char *name)
{
	char pid[24];
	pid_t child;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	child = fork();
	if (child < 0)
		return -errno;
	if (child == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		/* Its report is no guest output: errors only, on stderr. */
		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		setsid();
		close_range(3, ~0u, 0);
		execl("/proc/self/exe", "partvm", "vfio", "restore", "--partition", name, "--after", pid,
		      (char *)NULL);
		_exit(127);
	}
	log_debug("restorer started as root (pid %d): it gives the devices back once partvm ends",
		  (int)child);
	return 0;
}

int privileges_drop(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	uid_t uid = cfg->user_uid, ruid, euid, suid;
	gid_t gid = cfg->user_gid;
	int r;

	if (!cfg->user && geteuid() == 0)
		log_notice("no '%s' user on this host (`make install` creates it): partvm stays root "
			   "for the partition's life (user = root says so without this notice)",
			   PRIVILEGES_DEFAULT_USER);
	if (!config_other_user(cfg))
		return 0;
	r = devices_privileged_done(vm);
	if (r < 0)
		return r;
	/* Always (the control socket, too, is in root's directory), unless
	 * the caller does it: under systemd ExecStopPost does, and the unit's
	 * stop would kill a restorer in its cgroup half-way. */
	r = cfg->no_restorer ? 0 : start_restorer(cfg->name);
	if (r < 0)
		return log_error_errno(r, "user = %s: cannot start the restorer that cleans up after "
				       "partvm as root: %m", cfg->user);
	/* glibc applies these to every thread of the process. Leaving uid 0
	 * for good clears every thread's capabilities. */
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return log_error_errno(-errno, "user = %s: cannot become uid %u gid %u: %m", cfg->user,
				       (unsigned)uid, (unsigned)gid);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || getresuid(&ruid, &euid, &suid) < 0 ||
	    ruid != uid || euid != uid || suid != uid)
		return log_error_errno(-EPERM, "user = %s: the switch to uid %u did not take", cfg->user,
				       (unsigned)uid);
#if defined(__SANITIZE_ADDRESS__)
	/* The test build's leak checker ptraces partvm's own threads at exit,
	 * which the uid change forbade (not dumpable). Release builds keep it
	 * so: nobody may ptrace or dump this process. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
	vm->privileges_dropped = true;
	log_info("running as %s (uid %u, gid %u) from now on, without capabilities", cfg->user,
		 (unsigned)uid, (unsigned)gid);
	return 0;
}
