// SPDX-License-Identifier: GPL-2.0-only
#include "core/vm/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/vm/console.h"
#include "core/devices/serial.h"
#include "core/util/log.h"
#include "core/service/service.h"
#include "core/vm/vm.h"

#define LOOP_MAX_WATCHES 32

struct watch {
	int fd;
	loop_handler fn;
	void *opaque;
};

struct loop {
	struct vm *vm;
	int epfd;
	int sigfd;
	struct console console;
	bool stdin_watched;
	bool stdin_eof;
	uint8_t pending[256];        /* console input the UART had no room for */
	size_t npending, pending_off;
	struct watch watches[LOOP_MAX_WATCHES];
};

int loop_add(struct loop *l, int fd, uint32_t events, loop_handler fn, void *opaque)
{
	struct epoll_event ev = { .events = events };

	for (unsigned i = 0; i < LOOP_MAX_WATCHES; i++) {
		if (l->watches[i].fn)
			continue;
		l->watches[i] = (struct watch){ fd, fn, opaque };
		ev.data.ptr = &l->watches[i];
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			l->watches[i].fn = NULL;
			return -errno;
		}
		return 0;
	}
	return -ENOSPC;
}

int loop_remove(struct loop *l, int fd)
{
	for (unsigned i = 0; i < LOOP_MAX_WATCHES; i++) {
		if (l->watches[i].fn && l->watches[i].fd == fd) {
			epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
			l->watches[i].fn = NULL;
			return 0;
		}
	}
	return -ENOENT;
}

static void on_stdin(struct loop *l, int fd, uint32_t events, void *opaque);

/* Feed buffered console input to the UART; watch stdin only while there
 * is room, so a guest that does not read never makes us buffer without
 * bound. */
static void pump_console(struct loop *l)
{
	struct serial *s = l->vm->serial;

	if (l->npending) {
		size_t n = serial_receive(s, l->pending + l->pending_off, l->npending);

		l->pending_off += n;
		l->npending -= n;
	}
	if (l->npending == 0 && !l->stdin_eof && !l->stdin_watched) {
		/* epoll refuses regular files and /dev/null: no console input. */
		if (loop_add(l, STDIN_FILENO, EPOLLIN, on_stdin, NULL) == 0)
			l->stdin_watched = true;
		else
			l->stdin_eof = true;
	} else if ((l->npending || l->stdin_eof) && l->stdin_watched) {
		loop_remove(l, STDIN_FILENO);
		l->stdin_watched = false;
	}
}

static void on_stdin(struct loop *l, int fd, uint32_t events, void *opaque)
{
	uint8_t in[sizeof(l->pending) - 1];
	ssize_t n = read(fd, in, sizeof(in));
	bool quit = false;

	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		l->stdin_eof = true;
	} else if (n == 0) {
		/* Input closed (a pipe that ended): keep the guest running. */
		l->stdin_eof = true;
	} else {
		l->npending = console_filter(&l->console, in, (size_t)n, l->pending, &quit);
		l->pending_off = 0;
		if (quit) {
			vm_request_stop(l->vm, VM_STOP_QUIT, 0);
			return;
		}
	}
	pump_console(l);
}

static void on_serial_room(struct loop *l, int fd, uint32_t events, void *opaque)
{
	uint64_t v;

	(void)!read(fd, &v, sizeof(v));
	pump_console(l);
}

static void on_signal(struct loop *l, int fd, uint32_t events, void *opaque)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	switch (si.ssi_signo) {
	case SIGINT:
		vm_request_stop(l->vm, VM_STOP_SIGNAL, 128 + SIGINT);
		break;
	case SIGTERM:
		/* Graceful: the ACPI power button, a stop after shutdown-timeout. */
		service_sigterm(l->vm);
		break;
	case SIGHUP:
		vm_request_stop(l->vm, VM_STOP_SIGNAL, 128 + SIGHUP);
		break;
	}
}

static void on_vm_event(struct loop *l, int fd, uint32_t events, void *opaque)
{
	uint64_t v;

	(void)!read(fd, &v, sizeof(v));
}

struct loop *loop_create(struct vm *vm)
{
	struct loop *l = calloc(1, sizeof(*l));
	sigset_t set;

	if (!l)
		return NULL;
	l->vm = vm;
	l->sigfd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		goto fail;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	l->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (l->sigfd < 0)
		goto fail;
	if (loop_add(l, l->sigfd, EPOLLIN, on_signal, NULL) < 0 ||
	    loop_add(l, vm->event_fd, EPOLLIN, on_vm_event, NULL) < 0)
		goto fail;
	if (vm->serial) {
		if (console_setup(&l->console) < 0)
			log_warning("cannot put the terminal into raw mode: %m");
		if (loop_add(l, serial_rx_ready_fd(vm->serial), EPOLLIN, on_serial_room, NULL) < 0)
			goto fail;
		pump_console(l);
	}
	return l;
fail:
	loop_free(l);
	return NULL;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	console_restore();
	if (l->sigfd >= 0)
		close(l->sigfd);
	if (l->epfd >= 0)
		close(l->epfd);
	free(l);
}

static bool stop_requested(struct vm *vm)
{
	bool stop;

	pthread_mutex_lock(&vm->lock);
	stop = vm->stop_reason != VM_STOP_NONE;
	pthread_mutex_unlock(&vm->lock);
	return stop;
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[8];

	while (!stop_requested(l->vm)) {
		int n = epoll_wait(l->epfd, evs, 8, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct watch *w = evs[i].data.ptr;

			if (w->fn)
				w->fn(l, w->fd, evs[i].events, w->opaque);
		}
	}
	return 0;
}
