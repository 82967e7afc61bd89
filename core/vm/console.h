/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host side of the guest console: stdin in raw mode when it is a
 * terminal (restored on every exit path, including fatal signals), the
 * Ctrl-A escape (Ctrl-A x quits, Ctrl-A Ctrl-A sends a Ctrl-A), and the
 * input pump: stdin feeds one console device (the UART by default, or a
 * virtio console that claims it with a higher priority), and is read
 * only while that device has room, so a guest that does not read never
 * makes partvm buffer without bound.
 */
#ifndef PARTVM_CONSOLE_H
#define PARTVM_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct loop;

#define CONSOLE_ESCAPE 0x01   /* Ctrl-A */

/* A device that can take console input. */
struct console_port {
	const char *name;
	/* Take up to LEN bytes; returns how many fit. Main thread. */
	size_t (*receive)(void *opaque, const uint8_t *buf, size_t len);
	void *opaque;
	/* An eventfd the device writes when it has room again after
	 * RECEIVE took less than it was given. */
	int room_fd;
	/* Who gets stdin when several devices can: the highest. */
	int priority;
};

/* Offer PORT as VM's console input (a device's create hook). */
int console_claim(struct vm *vm, const struct console_port *port);
/* Once every device is created: raw mode, and stdin to the chosen port.
 * A no-op without a claim. */
int console_start(struct vm *vm, struct loop *loop);
/* Stop reading stdin and restore the terminal. */
void console_stop(struct vm *vm);
/* Input from an attached `partvm console` (main thread): taken whole or
 * in part (returns how much), or not at all while earlier input waits for
 * the port; ROOM is called once it has gone (one caller at a time; NULL
 * ROOM stops the calls). Without a console port the bytes are dropped. */
size_t console_input_feed(struct vm *vm, const uint8_t *buf, size_t len);
void console_input_on_room(struct vm *vm, void (*room)(void *opaque), void *opaque);
/* The chosen port's name ("com1"), or NULL. */
const char *console_port_name(struct vm *vm);

struct console {
	bool is_tty;
	bool escape_pending;
};

/* Put the terminal on stdin into raw mode if it is one. */
int console_setup(struct console *c);
/* Restore the terminal (safe to call many times, and from a signal). */
void console_restore(void);

/*
 * Filter input bytes from the terminal: escapes are consumed. Writes the
 * bytes for the guest to OUT (which must hold LEN + 1: a pending escape
 * from the last call may emit two bytes) and returns their count; sets
 * *QUIT when Ctrl-A x was typed.
 */
size_t console_filter(struct console *c, const uint8_t *in, size_t len, uint8_t *out,
		      bool *quit);

#endif
