// SPDX-License-Identifier: GPL-2.0-only
#include "core/util/kick.h"

static void kick_handler(int sig)
{
	(void)sig;
}

void thread_kick_install(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigaction(THREAD_KICK_SIGNAL, &sa, NULL);
}

void thread_kick_accept(void)
{
	sigset_t set;

	thread_kick_install();
	sigemptyset(&set);
	sigaddset(&set, THREAD_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int thread_kick(pthread_t t)
{
	return -pthread_kill(t, THREAD_KICK_SIGNAL);
}

int thread_start_unsignalled(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}
