/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host side of the guest console: stdin in raw mode when it is a
 * terminal (restored on every exit path, including fatal signals), and
 * the Ctrl-A escape: Ctrl-A x quits, Ctrl-A Ctrl-A sends a Ctrl-A.
 */
#ifndef PARTVM_CONSOLE_H
#define PARTVM_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_ESCAPE 0x01   /* Ctrl-A */

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
