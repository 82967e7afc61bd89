/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Interrupting a thread that sits in a system call (KVM_RUN, a write to a
 * stalled console): a signal whose handler does nothing, installed without
 * SA_RESTART, so the call returns EINTR and the thread looks at why it was
 * woken. The main thread keeps the signal blocked; a thread that may be
 * kicked unblocks it for itself.
 */
#ifndef PARTVM_UTIL_KICK_H
#define PARTVM_UTIL_KICK_H

#include <pthread.h>
#include <signal.h>

#define THREAD_KICK_SIGNAL SIGUSR1

/* Install the handler (idempotent) and unblock the signal in the calling
 * thread: call it first thing in a thread that may be kicked. */
void thread_kick_accept(void);
/* Install the handler, so that a kick sent before the thread has called
 * thread_kick_accept() cannot kill the process. */
void thread_kick_install(void);
int thread_kick(pthread_t t);
/* Start FN(ARG) on a new thread with every signal blocked: the process's
 * signals are the main loop's (its signalfd), kicks only for a thread
 * that accepts them. The caller's mask is as it was. 0 or -errno. */
int thread_start_unsignalled(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
