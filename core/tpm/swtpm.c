// SPDX-License-Identifier: GPL-2.0-only
#include "core/tpm/swtpm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/deadline.h"
#include "core/tpm/tpm2_cmd.h"

/* The fds swtpm gets: control listener, data listener, the kept fd. */
#define CHILD_CTRL_FD 3
#define CHILD_DATA_FD 4
#define CHILD_KEEP_FD 5

char *swtpm_find_program(const char *program)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = NULL;
	char *save = NULL;

	if (!path)
		return NULL;
	copy = strdup(path);
	if (!copy)
		return NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		struct stat st;
		char *p;

		if (*dir != '/' || asprintf(&p, "%s/%s", dir, program) < 0)
			continue;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

/* Milliseconds left until DEADLINE for poll (-1: none). */
static int left(int64_t deadline)
{
	int64_t d;

	if (deadline < 0)
		return -1;
	d = deadline - now_ms();
	return d < 0 ? 0 : d > INT_MAX ? INT_MAX : (int)d;
}

/* Wait for EVENTS on FD, or WAKE_FD readable (-EINTR), until DEADLINE. */
static int wait_fd(int fd, short events, int wake_fd, int64_t deadline)
{
	for (;;) {
		struct pollfd p[2] = { { fd, events, 0 }, { wake_fd, POLLIN, 0 } };
		int n = poll(p, wake_fd >= 0 ? 2 : 1, left(deadline));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		if (p[0].revents)
			return 0;
		return -EINTR;
	}
}

static int write_all(int fd, const void *buf, size_t len, int64_t deadline)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			int r = wait_fd(fd, POLLOUT, -1, deadline);

			if (r < 0)
				return r;
			continue;
		}
		if (n < 0)
			return errno == ECONNRESET ? -EPIPE : -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly LEN bytes (BUF NULL: drop them). -EPIPE at end of file. */
static int read_all(int fd, void *buf, size_t len, int64_t deadline)
{
	uint8_t *p = buf, scratch[512];

	while (len) {
		size_t want = buf ? len : (len < sizeof(scratch) ? len : sizeof(scratch));
		ssize_t n = recv(fd, buf ? (void *)p : scratch, want, MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			int r = wait_fd(fd, POLLIN, -1, deadline);

			if (r < 0)
				return r;
			continue;
		}
		if (n < 0)
			return errno == ECONNRESET ? -EPIPE : -errno;
		if (n == 0)
			return -EPIPE;
		if (buf)
			p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int64_t deadline_in(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

int swtpm_ctrl(struct swtpm *s, uint32_t cmd, const void *req, size_t req_len, void *rsp,
	       size_t rsp_len, int timeout_ms)
{
	int64_t deadline = deadline_in(timeout_ms);
	uint8_t msg[4 + 16];
	int r;

	if (req_len > sizeof(msg) - 4 || rsp_len < 4)
		return -EINVAL;
	tpm_put_be32(msg, cmd);
	if (req_len)
		memcpy(msg + 4, req, req_len);
	pthread_mutex_lock(&s->ctrl_lock);
	r = write_all(s->ctrl_fd, msg, 4 + req_len, deadline);
	if (r == 0)
		r = read_all(s->ctrl_fd, rsp, rsp_len, deadline);
	pthread_mutex_unlock(&s->ctrl_lock);
	if (r < 0)
		return r;
	return tpm_be32(rsp) == 0 ? 0 : -EIO;
}

int swtpm_ctrl_init(struct swtpm *s)
{
	uint8_t flags[4] = { 0 }, rsp[4];

	return swtpm_ctrl(s, SWTPM_CMD_INIT, flags, sizeof(flags), rsp, sizeof(rsp),
			  SWTPM_CTRL_TIMEOUT_MS);
}

int swtpm_ctrl_get_established(struct swtpm *s, bool *established)
{
	/* ptm_res and the bit, padded as swtpm's struct ptm_est is. */
	uint8_t rsp[8];
	int r = swtpm_ctrl(s, SWTPM_CMD_GET_TPMESTABLISHED, NULL, 0, rsp, sizeof(rsp),
			   SWTPM_CTRL_TIMEOUT_MS);

	if (r == 0)
		*established = rsp[4] != 0;
	return r;
}

int swtpm_ctrl_set_buffer_size(struct swtpm *s, uint32_t want, uint32_t *got)
{
	uint8_t req[4], rsp[16];
	int r;

	tpm_put_be32(req, want);
	r = swtpm_ctrl(s, SWTPM_CMD_SET_BUFFERSIZE, req, sizeof(req), rsp, sizeof(rsp),
		       SWTPM_CTRL_TIMEOUT_MS);
	if (r == 0)
		*got = tpm_be32(rsp + 4);
	return r;
}

int swtpm_send(struct swtpm *s, const uint8_t *cmd, size_t len, int timeout_ms)
{
	return write_all(s->data_fd, cmd, len, deadline_in(timeout_ms));
}

int swtpm_recv(struct swtpm *s, uint8_t *buf, size_t cap, int wake_fd, int timeout_ms)
{
	int64_t deadline = deadline_in(timeout_ms);
	uint8_t hdr[TPM2_HEADER_SIZE];
	uint32_t size;
	int r;

	/* Until the first byte the wait may end early; after it, the whole
	 * response is read (in bounded time), so the channel never loses its
	 * place. */
	r = wait_fd(s->data_fd, POLLIN, wake_fd, deadline);
	if (r < 0)
		return r;
	deadline = deadline_in(SWTPM_CTRL_TIMEOUT_MS);
	r = read_all(s->data_fd, hdr, sizeof(hdr), deadline);
	if (r < 0)
		return r;
	size = tpm2_header_size(hdr);
	if (size < TPM2_HEADER_SIZE)
		return -EBADMSG;
	if (size > cap) {
		r = read_all(s->data_fd, NULL, size - TPM2_HEADER_SIZE, deadline);
		return r < 0 ? r : -EMSGSIZE;
	}
	memcpy(buf, hdr, sizeof(hdr));
	r = read_all(s->data_fd, buf + sizeof(hdr), size - sizeof(hdr), deadline);
	return r < 0 ? r : (int)size;
}

int swtpm_transact(struct swtpm *s, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap)
{
	int r = swtpm_send(s, cmd, len, SWTPM_COMMAND_TIMEOUT_MS);

	if (r < 0)
		return r;
	return swtpm_recv(s, rsp, cap, -1, SWTPM_COMMAND_TIMEOUT_MS);
}

bool swtpm_exited(struct swtpm *s)
{
	int status;

	if (s->pid <= 0)
		return true;
	if (waitpid(s->pid, &status, WNOHANG) != s->pid)
		return false;
	s->status = status;
	s->pid = 0;
	return true;
}

void swtpm_describe_exit(const struct swtpm *s, char *buf, size_t len)
{
	if (WIFSIGNALED(s->status))
		snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(s->status),
			 strsignal(WTERMSIG(s->status)));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(s->status));
}

/* A listening unix socket at DIR/NAME, and a client connected to it. */
static int listen_and_connect(const char *dir, const char *name, int *listener, int *client)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int l = -1, c = -1;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, name) >=
	    sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l < 0 || c < 0)
		return -errno;
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0)
		return -errno;
	/* The backlog takes the connection before swtpm accepts it. */
	if (connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	unlink(sa.sun_path);
	*listener = TAKE_FD(l);
	*client = TAKE_FD(c);
	return 0;
}

/* Between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn))
child(pid_t parent, int err_fd, int null_fd, int ctrl, int data, int keep,
      const char *path, char *const argv[])
{
	sigset_t all;
	int e;

	/* Die with partvm; if it is already gone, do not start at all. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/* Lift every fd above the targets first, so no dup2 clobbers one. */
	err_fd = fcntl(err_fd, F_DUPFD_CLOEXEC, 10);
	null_fd = fcntl(null_fd, F_DUPFD, 10);
	ctrl = fcntl(ctrl, F_DUPFD, 10);
	data = fcntl(data, F_DUPFD, 10);
	if (err_fd < 0)
		_exit(127);
	if (keep >= 0 && (keep = fcntl(keep, F_DUPFD, 10)) < 0)
		goto fail;
	if (null_fd < 0 || ctrl < 0 || data < 0 ||
	    dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 ||
	    dup2(ctrl, CHILD_CTRL_FD) < 0 || dup2(data, CHILD_DATA_FD) < 0 ||
	    (keep >= 0 ? dup2(keep, CHILD_KEEP_FD) < 0 : close(CHILD_KEEP_FD) < 0 && errno != EBADF) ||
	    dup3(err_fd, CHILD_KEEP_FD + 1, O_CLOEXEC) < 0)
		goto fail;
	err_fd = CHILD_KEEP_FD + 1;
	/* Nothing else of partvm's (KVM, guest memory, vCPU fds) goes along;
	 * ERR_FD is close-on-exec and reports a failed exec. */
	syscall(SYS_close_range, CHILD_KEEP_FD + 2, ~0U, 0);
	execv(path, argv);
fail:
	e = errno;
	(void)!write(err_fd, &e, sizeof(e));
	_exit(127);
}

static int spawn(struct swtpm *s, const char *path, const char *statedir, int ctrl, int data,
		 int keep_fd, const char *runas)
{
	_cleanup_free_ char *state = NULL, *log = NULL;
	_cleanup_close_ int null_fd = -1, err_r = -1, err_w = -1;
	char ctrl_opt[32], data_opt[32];
	int pipefd[2], e;
	pid_t parent = getpid(), pid;
	ssize_t n;

	if (asprintf(&state, "dir=%s,mode=0600", statedir) < 0 ||
	    asprintf(&log, "file=%s", s->log_path) < 0)
		return -ENOMEM;
	/* Listening sockets: swtpm accepts partvm's connections on them. */
	snprintf(ctrl_opt, sizeof(ctrl_opt), "type=unixio,fd=%d", CHILD_CTRL_FD);
	snprintf(data_opt, sizeof(data_opt), "type=unixio,fd=%d", CHILD_DATA_FD);
	/* swtpm parses the guest's TPM commands: its own seccomp profile,
	 * whose default a packager may change, is asked for explicitly. */
	char *const argv[] = {
		(char *)"swtpm", (char *)"socket", (char *)"--tpm2", (char *)"--tpmstate", state,
		(char *)"--ctrl", ctrl_opt, (char *)"--server", data_opt, (char *)"--log", log,
		(char *)"--seccomp", (char *)"action=kill",
		/* [partition] user: swtpm gives up root too, once its
		 * sockets and state are open. */
		runas ? (char *)"--runas" : NULL, (char *)runas, NULL,
	};

	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0 || pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	err_r = pipefd[0];
	err_w = pipefd[1];
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		child(parent, err_w, null_fd, ctrl, data, keep_fd, path, argv);
	s->pid = pid;
	close(TAKE_FD(err_w));
	do
		n = read(err_r, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		waitpid(pid, NULL, 0);
		s->pid = 0;
		return -e;
	}
	return 0;
}

int swtpm_start(struct swtpm *s, const char *swtpm_path, const char *statedir,
		const char *runtime_dir, int keep_fd, const char *runas, const char **why)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int ctrl_l = -1, data_l = -1;
	int r;

	memset(s, 0, sizeof(*s));
	s->pidfd = s->ctrl_fd = s->data_fd = -1;
	pthread_mutex_init(&s->ctrl_lock, NULL);
	if (asprintf(&s->log_path, "%s/swtpm.log", statedir) < 0) {
		s->log_path = NULL;
		return -ENOMEM;
	}

	*why = "cannot create its runtime directory";
	if (mkdir(runtime_dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (asprintf(&dir, "%s/tpm.XXXXXX", runtime_dir) < 0) {
		dir = NULL;
		return -ENOMEM;
	}
	if (!mkdtemp(dir))
		return -errno;
	*why = "cannot create its sockets";
	r = listen_and_connect(dir, "ctrl.sock", &ctrl_l, &s->ctrl_fd);
	if (r == 0)
		r = listen_and_connect(dir, "data.sock", &data_l, &s->data_fd);
	/* Connected: the names are no longer needed, and nothing is left
	 * behind even if partvm is killed. */
	rmdir(dir);
	if (r < 0)
		return r;

	*why = "cannot start it";
	r = spawn(s, swtpm_path, statedir, ctrl_l, data_l, keep_fd, runas);
	if (r < 0)
		return r;
	s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	*why = NULL;
	return 0;
}

void swtpm_stop(struct swtpm *s)
{
	if (s->pid > 0 && !swtpm_exited(s)) {
		uint8_t rsp[4];
		int64_t deadline = now_ms() + 5000;

		/* CMD_SHUTDOWN saves nothing volatile and ends swtpm. */
		swtpm_ctrl(s, SWTPM_CMD_SHUTDOWN, NULL, 0, rsp, sizeof(rsp), 5000);
		while (!swtpm_exited(s) && now_ms() < deadline) {
			struct pollfd p = { s->pidfd, POLLIN, 0 };

			if (s->pidfd < 0 || poll(&p, 1, left(deadline)) < 0)
				usleep(10000);
		}
		if (s->pid > 0) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &s->status, 0);
			s->pid = 0;
		}
	}
	if (s->pidfd >= 0)
		close(s->pidfd);
	if (s->ctrl_fd >= 0)
		close(s->ctrl_fd);
	if (s->data_fd >= 0)
		close(s->data_fd);
	s->pidfd = s->ctrl_fd = s->data_fd = -1;
	free(s->log_path);
	s->log_path = NULL;
	pthread_mutex_destroy(&s->ctrl_lock);
}
