/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * 16550A UART (COM1). Transmitted bytes go to the console output buffer
 * (core/vm/console_output.h), never waited for; received bytes come from
 * the console loop. The interrupt output follows
 * the chip: pending sources masked by IER, gated by MCR.OUT2 as on a PC.
 */
#ifndef PARTVM_SERIAL_H
#define PARTVM_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct serial;
struct device_type;
struct console_output;

#define SERIAL_RX_BUFFER 4096

/* IRQ is called with the new line level whenever it changes; transmitted
 * bytes go to OUT (NULL: nowhere). */
struct serial *serial_create(void (*irq)(void *ctx, bool level), void *ctx,
			     struct console_output *out);
void serial_free(struct serial *s);
void serial_reset(struct serial *s);

/* Register access at OFFSET 0..7; out-of-range offsets read 0xff. */
uint8_t serial_read_reg(struct serial *s, unsigned offset);
void serial_write_reg(struct serial *s, unsigned offset, uint8_t value);

/* Queue host input; returns how many bytes fit (the rest stay with the
 * caller until serial_rx_room() grows). */
size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len);
size_t serial_rx_room(struct serial *s);
/* An eventfd written when receive room frees up after being full. */
int serial_rx_ready_fd(struct serial *s);

/* COM1 at 0x3f8, IRQ 4, on stdout; the console input unless a virtio
 * console takes it. */
extern const struct device_type serial_device_type;

#endif
