/* SPDX-License-Identifier: GPL-2.0-only
 *
 * The main thread's event loop: epoll over the fds that devices, the
 * console, the control socket and the service add with loop_add(). It
 * exists before any device is created, so a device's create hook can
 * watch its own fds. Handlers run on the main thread, one at a time.
 */
#ifndef PARTVM_LOOP_H
#define PARTVM_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;

typedef void (*loop_handler)(struct loop *l, int fd, uint32_t events, void *opaque);

struct loop *loop_create(void);
void loop_free(struct loop *l);

/* Watch FD for EVENTS (EPOLLIN...). An fd is watched once. */
int loop_add(struct loop *l, int fd, uint32_t events, loop_handler fn, void *opaque);
/* Stop watching FD; safe from inside a handler. -ENOENT if not watched. */
int loop_remove(struct loop *l, int fd);

/* Dispatch events until DONE(OPAQUE) is true; it is checked before each
 * wait, so whatever makes it true must also wake the loop (an eventfd).
 * Returns 0 or a negative errno. */
int loop_run(struct loop *l, bool (*done)(void *opaque), void *opaque);

#endif
