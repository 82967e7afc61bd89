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
