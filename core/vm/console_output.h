/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest console output on its way to stdout. Devices (the UART on a vCPU
 * thread, virtio-console on its queue thread) append to a bounded buffer
 * and never wait for stdout; a thread of its own writes the buffer out.
 * When stdout is slower than the guest (a pipe nobody reads, a stopped
 * terminal), the oldest bytes are dropped and counted: a guest cannot stall
 * the VMM through its console, and the newest output, the part that says
 * why a guest stopped, is what survives.
 */
#ifndef PARTVM_CONSOLE_OUTPUT_H
#define PARTVM_CONSOLE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sandbox;

struct console_output;

#define CONSOLE_OUTPUT_BUFFER (128 * 1024)
/* What `partvm console` shows first: the last this many bytes. */
#define CONSOLE_HISTORY_KIB 64
#define CONSOLE_HISTORY (CONSOLE_HISTORY_KIB * 1024)

/* Buffer SIZE bytes in front of FD, with the writer thread started. */
int console_output_create(struct console_output **out, int fd, size_t size,
			  const struct sandbox *sb);
/* CLOCK_MONOTONIC ns of the first byte the guest wrote, 0 before any. */
uint64_t console_output_first_ns(const struct console_output *o);
/* Append LEN bytes; never waits for FD. Any thread. A NULL O discards. */
void console_output_write(struct console_output *o, const void *buf, size_t len);
/* The guest's output as a stream for attached consoles: bytes are
 * numbered from the first the guest wrote; the last CONSOLE_HISTORY of
 * them are kept. The position of the oldest kept: */
uint64_t console_output_history_start(struct console_output *o);
/* Copy kept bytes from *POS on into BUF (at most LEN), advance *POS.
 * *SKIPPED: bytes after *POS that are no longer kept (a console that fell
 * behind). Returns the bytes copied. Any thread. */
size_t console_output_history(struct console_output *o, uint64_t *pos, void *buf, size_t len,
			      uint64_t *skipped);
/* An eventfd made readable by new output while anyone watches (ON
 * counts watchers up, !ON down). */
int console_output_watch_fd(const struct console_output *o);
void console_output_watch(struct console_output *o, bool on);
/* Bytes dropped so far (overwritten before FD took them, or FD gone). */
uint64_t console_output_dropped(struct console_output *o);
/* Wait until FD has taken what is buffered, at most TIMEOUT_MS: 0, or
 * -ETIMEDOUT, or the error that stopped FD. */
int console_output_flush(struct console_output *o, int timeout_ms);
/* Wait until FD has taken what is buffered (at most TIMEOUT_MS), then
 * stop the thread, even in the middle of a write, and free O. Logs what
 * was lost. */
void console_output_free(struct console_output *o, int timeout_ms);

#endif
