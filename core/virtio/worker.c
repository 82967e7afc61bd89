// SPDX-License-Identifier: GPL-2.0-only
/*
 * A queue's thread. The driver's doorbell is an ioeventfd (KVM signals it
 * without an exit), so the vCPU that kicked goes straight back to the
 * guest while this thread takes the requests.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/util/log.h"
#include "core/util/sandbox.h"
#include "core/virtio/internal.h"
#include "core/vm/vm.h"

static bool drain(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof(v)) == sizeof(v);
}

static void *run(void *arg)
{
	struct virtio_worker *w = arg;
	struct pollfd pfd[3] = {
		{ .fd = w->stop_fd, .events = POLLIN },
		{ .fd = w->vq->kick_fd, .events = POLLIN },
		{ .fd = w->extra_fd, .events = POLLIN },
	};
	struct vm *vm = w->vq->vdev ? w->vq->vdev->vm : NULL;
	sigset_t all;

	/* Signals are the main loop's (signalfd) and the vCPUs' (kicks). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	/* Named here, not by the vCPU thread that started it: that would
	 * write /proc/self/task/TID/comm, which a vCPU's filter forbids. */
	pthread_setname_np(pthread_self(), w->name);
	if (vm && sandbox_enter(&vm->sandbox, SANDBOX_IO) < 0) {
		log_error("%s: cannot enter the queue thread's seccomp filter; stopping", w->name);
		vm_request_stop(vm, VM_STOP_ERROR, 1);
		return NULL;
	}
	/* Requests may have come before the thread did. */
	w->fn(w->vq, w->opaque, true, false);
	for (;;) {
		nfds_t n = w->extra_fd >= 0 && !w->extra_off ? 3 : 2;
		int r = poll(pfd, n, -1);
		bool kicked, extra;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (pfd[0].revents & POLLIN))
			break;
		kicked = (pfd[1].revents & POLLIN) && drain(w->vq->kick_fd);
		extra = n == 3 && (pfd[2].revents & POLLIN);
		if (kicked || extra)
			w->fn(w->vq, w->opaque, kicked, extra);
	}
	return NULL;
}

int virtio_worker_start(struct virtio_worker *w, struct virtqueue *vq, int extra_fd,
			void (*fn)(struct virtqueue *vq, void *opaque, bool kicked, bool extra),
			void *opaque, const char *name)
{
	int r;

	memset(w, 0, sizeof(*w));
	w->vq = vq;
	w->extra_fd = extra_fd;
	w->fn = fn;
	w->opaque = opaque;
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->stop_fd < 0)
		return -errno;
	r = -pthread_create(&w->thread, NULL, run, w);
	if (r < 0) {
		close(w->stop_fd);
		w->stop_fd = -1;
		return r;
	}
	w->running = true;
	return 0;
}

void virtio_worker_stop(struct virtio_worker *w)
{
	if (!w->running)
		return;
	(void)!write(w->stop_fd, &(uint64_t){ 1 }, sizeof(uint64_t));
	pthread_join(w->thread, NULL);
	close(w->stop_fd);
	w->stop_fd = -1;
	w->running = false;
}
