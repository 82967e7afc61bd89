/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The main thread's event loop while the guest runs: console input,
 * signals (through a signalfd, so handlers never run in odd contexts), and
 * the VM's stop requests. Other subsystems add their fds with loop_add().
 */
#ifndef PARTVM_LOOP_H
#define PARTVM_LOOP_H

#include <stdint.h>

struct vm;
struct loop;

typedef void (*loop_handler)(struct loop *l, int fd, uint32_t events, void *opaque);

struct loop *loop_create(struct vm *vm);
void loop_free(struct loop *l);

int loop_add(struct loop *l, int fd, uint32_t events, loop_handler fn, void *opaque);
int loop_remove(struct loop *l, int fd);

/* Run until the VM has a stop request. Returns 0 or a negative errno. */
int loop_run(struct loop *l);

#endif
