// SPDX-License-Identifier: GPL-2.0-only
#include "core/tpm/worker.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/util/deadline.h"
#include "core/util/kick.h"
#include "core/util/log.h"
#include "core/util/sandbox.h"

static void wake(struct tpm_worker *w)
{
	uint64_t one = 1;

	(void)!write(w->wake_fd, &one, sizeof(one));
}

static void drain(struct tpm_worker *w)
{
	uint64_t v;

	(void)!read(w->wake_fd, &v, sizeof(v));
}

/* Called by the CRB with its lock held: queue and wake, nothing more. */
static void worker_submit(void *opaque, uint32_t seq, const uint8_t *cmd, size_t len)
{
	struct tpm_worker *w = opaque;

	if (len > sizeof(w->cmd))
		len = sizeof(w->cmd);         /* the CRB checked already */
	pthread_mutex_lock(&w->lock);
	memcpy(w->cmd, cmd, len);
	w->len = len;
	w->seq = seq;
	w->pending = true;
	w->cancel = false;
	pthread_mutex_unlock(&w->lock);
	wake(w);
}

static void worker_cancel(void *opaque)
{
	struct tpm_worker *w = opaque;

	pthread_mutex_lock(&w->lock);
	w->cancel = true;
	pthread_mutex_unlock(&w->lock);
	wake(w);
}

const struct tpm_crb_ops tpm_worker_crb_ops = {
	.submit = worker_submit,
	.cancel = worker_cancel,
};

/* swtpm is gone (or broke the protocol): say so once, fail the CRB. */
static void swtpm_gone(struct tpm_worker *w, const char *how)
{
	pid_t pid = w->swtpm->pid;
	char status[96] = "stopped answering";
	bool first;

	pthread_mutex_lock(&w->lock);
	first = !w->dead;
	w->dead = true;
	pthread_cond_broadcast(&w->idle_cond);
	pthread_mutex_unlock(&w->lock);
	tpm_crb_fail(w->crb);
	if (!first)
		return;
	/* A closed socket comes just before the exit status: wait for it. */
	for (int i = 0; i < 100 && !swtpm_exited(w->swtpm); i++)
		usleep(10000);
	if (w->swtpm->pid == 0)
		swtpm_describe_exit(w->swtpm, status, sizeof(status));
	log_error("tpm: swtpm (pid %d) %s%s; the guest's TPM reports a fatal error from now on "
		  "(swtpm's log: %s)", (int)pid, status, how, w->swtpm->log_path);
}

/* Run the guest's command SEQ (w->cmd, LEN bytes) to its completion. */
static void run_command(struct tpm_worker *w, uint32_t seq, size_t len)
{
	int r;

	if (w->dead) {
		tpm_crb_fail(w->crb);
		return;
	}
	r = swtpm_send(w->swtpm, w->cmd, len, SWTPM_COMMAND_TIMEOUT_MS);
	while (r == 0) {
		bool quit, cancel;

		/* No timeout: a long command (key generation) may take minutes;
		 * a dead swtpm shows as end of file, a guest's patience as a
		 * cancel. */
		r = swtpm_recv(w->swtpm, w->rsp, sizeof(w->rsp), w->wake_fd, -1);
		if (r != -EINTR)
			break;
		drain(w);
		pthread_mutex_lock(&w->lock);
		quit = w->quit;
		cancel = w->cancel;
		w->cancel = false;
		pthread_mutex_unlock(&w->lock);
		if (quit)
			return;
		if (cancel) {
			uint8_t rsp[4];

			/* swtpm answers the command itself with TPM_RC_CANCELED. */
			swtpm_ctrl(w->swtpm, SWTPM_CMD_CANCEL_TPM_CMD, NULL, 0, rsp, sizeof(rsp),
				   SWTPM_CTRL_TIMEOUT_MS);
		}
		r = 0;
	}
	if (r > 0)
		tpm_crb_complete(w->crb, seq, w->rsp, (size_t)r);
	else if (r == -EMSGSIZE)
		swtpm_gone(w, " (a response larger than the CRB buffer)");
	else if (r == -EBADMSG)
		swtpm_gone(w, " (a malformed response)");
	else
		swtpm_gone(w, "");
}

static void *worker_main(void *opaque)
{
	struct tpm_worker *w = opaque;

	/* Named before its filter, so that a SIGSYS line names it. */
	pthread_setname_np(pthread_self(), "tpm");
	if (sandbox_enter(w->sandbox, SANDBOX_TPM) < 0) {
		/* Fail closed: the guest's commands fail as when swtpm is gone. */
		log_error("vtpm: cannot enter the TPM worker's seccomp filter");
		pthread_mutex_lock(&w->lock);
		w->dead = true;
		pthread_mutex_unlock(&w->lock);
	}

	for (;;) {
		struct pollfd p[2];
		uint32_t seq;
		size_t len;
		int n = 1;

		pthread_mutex_lock(&w->lock);
		if (w->quit) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		if (w->pending) {
			w->pending = false;
			w->busy = true;
			seq = w->seq;
			len = w->len;
			pthread_mutex_unlock(&w->lock);
			run_command(w, seq, len);
			pthread_mutex_lock(&w->lock);
			w->busy = false;
			pthread_cond_broadcast(&w->idle_cond);
			pthread_mutex_unlock(&w->lock);
			continue;
		}
		pthread_mutex_unlock(&w->lock);

		p[0] = (struct pollfd){ w->wake_fd, POLLIN, 0 };
		if (!w->dead) {
			/* Watch swtpm while idle: its exit, or its hang-up. */
			if (w->swtpm->pidfd >= 0)
				p[1] = (struct pollfd){ w->swtpm->pidfd, POLLIN, 0 };
			else
				p[1] = (struct pollfd){ w->swtpm->data_fd, POLLRDHUP, 0 };
			n = 2;
		}
		if (poll(p, n, -1) < 0)
			continue;
		if (p[0].revents)
			drain(w);
		if (n == 2 && p[1].revents)
			swtpm_gone(w, "");
	}
	return NULL;
}

int tpm_worker_start(struct tpm_worker *w, struct swtpm *s, struct tpm_crb *crb,
		     const struct sandbox *sb)
{
	int r;

	memset(w, 0, sizeof(*w));
	w->swtpm = s;
	w->crb = crb;
	w->sandbox = sb;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->idle_cond, NULL);
	w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->wake_fd < 0)
		return -errno;
	r = thread_start_unsignalled(&w->thread, worker_main, w);
	if (r < 0)
		return r;
	w->running = true;
	return 0;
}

void tpm_worker_stop(struct tpm_worker *w)
{
	if (w->running) {
		pthread_mutex_lock(&w->lock);
		w->quit = true;
		pthread_mutex_unlock(&w->lock);
		wake(w);
		pthread_join(w->thread, NULL);
		w->running = false;
	}
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	w->wake_fd = -1;
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->idle_cond);
}

int tpm_worker_quiesce(struct tpm_worker *w, int timeout_ms)
{
	struct timespec until;
	int r = 0;

	deadline_after_ms(&until, timeout_ms);
	pthread_mutex_lock(&w->lock);
	while ((w->pending || w->busy) && !w->dead && r == 0)
		r = -pthread_cond_timedwait(&w->idle_cond, &w->lock, &until);
	if (w->dead)
		r = -EPIPE;
	pthread_mutex_unlock(&w->lock);
	return r;
}
