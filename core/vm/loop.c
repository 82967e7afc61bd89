// SPDX-License-Identifier: GPL-2.0-only
#include "core/vm/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

struct watch {
	int fd;
	loop_handler fn;            /* NULL: removed, freed after the batch */
	void *opaque;
	struct watch *next;
};

struct loop {
	int epfd;
	struct watch *watches;
	bool dispatching;
};

static struct watch *find(struct loop *l, int fd)
{
	for (struct watch *w = l->watches; w; w = w->next)
		if (w->fn && w->fd == fd)
			return w;
	return NULL;
}

int loop_add(struct loop *l, int fd, uint32_t events, loop_handler fn, void *opaque)
{
	struct epoll_event ev = { .events = events };
	struct watch *w;

	if (fd < 0 || !fn)
		return -EINVAL;
	if (find(l, fd))
		return -EEXIST;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct watch){ .fd = fd, .fn = fn, .opaque = opaque, .next = l->watches };
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = -errno;

		free(w);
		return r;
	}
	l->watches = w;
	return 0;
}

/* Free removed watches; not while a batch may still point at them. */
static void reap(struct loop *l)
{
	for (struct watch **p = &l->watches; *p;) {
		struct watch *w = *p;

		if (w->fn) {
			p = &w->next;
			continue;
		}
		*p = w->next;
		free(w);
	}
}

int loop_remove(struct loop *l, int fd)
{
	struct watch *w = find(l, fd);

	if (!w)
		return -ENOENT;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	w->fn = NULL;
	if (!l->dispatching)
		reap(l);
	return 0;
}

struct loop *loop_create(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	for (struct watch *w = l->watches; w;) {
		struct watch *next = w->next;

		free(w);
		w = next;
	}
	close(l->epfd);
	free(l);
}

int loop_run(struct loop *l, bool (*done)(void *opaque), void *opaque)
{
	struct epoll_event evs[16];

	while (!done(opaque)) {
		int n = epoll_wait(l->epfd, evs, 16, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		l->dispatching = true;
		for (int i = 0; i < n; i++) {
			struct watch *w = evs[i].data.ptr;

			if (w->fn)
				w->fn(l, w->fd, evs[i].events, w->opaque);
		}
		l->dispatching = false;
		reap(l);
	}
	return 0;
}
