// SPDX-License-Identifier: GPL-2.0-only
#include "core/devices/serial.h"

#include <errno.h>
#include <linux/serial_reg.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/acpi/acpi.h"
#include "core/vm/console.h"
#include "core/vm/console_output.h"
#include "core/vm/device.h"
#include "core/vm/layout.h"
#include "core/util/log.h"
#include "core/vm/vm.h"

struct serial {
	pthread_mutex_t lock;
	void (*irq)(void *ctx, bool level);
	void *irq_ctx;
	struct console_output *out;
	int rx_ready_fd;
	bool irq_level;

	uint8_t ier, lcr, mcr, lsr, msr, scr, fcr;
	uint8_t dll, dlm;
	bool thr_ipending;      /* THRE interrupt pending until IIR read / THR write */
	bool rx_was_full;

	uint8_t rx[SERIAL_RX_BUFFER];
	size_t rx_head, rx_count;
};

/* Modem status inputs when not in loopback: carrier, DSR and CTS asserted. */
#define MSR_LINES_UP (UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)

static uint8_t compute_iir(struct serial *s)
{
	uint8_t fifo = (s->fcr & UART_FCR_ENABLE_FIFO) ? 0xc0 : 0;

	if ((s->ier & UART_IER_RLSI) && (s->lsr & UART_LSR_BRK_ERROR_BITS))
		return fifo | UART_IIR_RLSI;
	if ((s->ier & UART_IER_RDI) && s->rx_count)
		return fifo | UART_IIR_RDI;
	if ((s->ier & UART_IER_THRI) && s->thr_ipending)
		return fifo | UART_IIR_THRI;
	if ((s->ier & UART_IER_MSI) && (s->msr & UART_MSR_ANY_DELTA))
		return fifo | UART_IIR_MSI;
	return fifo | UART_IIR_NO_INT;
}

/* Recompute the interrupt line; call with the lock held. */
static void update_irq(struct serial *s)
{
	bool pending = !(compute_iir(s) & UART_IIR_NO_INT);
	/* On a PC the IRQ reaches the PIC only through the OUT2 gate;
	 * in loopback mode the output is disconnected. */
	bool level = pending && (s->mcr & UART_MCR_OUT2) && !(s->mcr & UART_MCR_LOOP);

	if (level != s->irq_level) {
		s->irq_level = level;
		if (s->irq)
			s->irq(s->irq_ctx, level);
	}
}

static void update_lsr(struct serial *s)
{
	if (s->rx_count)
		s->lsr |= UART_LSR_DR;
	else
		s->lsr &= ~UART_LSR_DR;
}

static void reset_locked(struct serial *s)
{
	s->ier = 0;
	s->lcr = 0;
	s->mcr = UART_MCR_OUT2;
	s->lsr = UART_LSR_TEMT | UART_LSR_THRE;
	s->msr = MSR_LINES_UP;
	s->scr = 0;
	s->fcr = 0;
	s->dll = 0x0c;          /* 9600 baud */
	s->dlm = 0;
	s->thr_ipending = false;
	s->rx_head = s->rx_count = 0;
	update_irq(s);
}

struct serial *serial_create(void (*irq)(void *ctx, bool level), void *ctx,
			     struct console_output *out)
{
	struct serial *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->rx_ready_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->rx_ready_fd < 0) {
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->irq = irq;
	s->irq_ctx = ctx;
	s->out = out;
	reset_locked(s);
	return s;
}

void serial_free(struct serial *s)
{
	if (!s)
		return;
	close(s->rx_ready_fd);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void serial_reset(struct serial *s)
{
	pthread_mutex_lock(&s->lock);
	reset_locked(s);
	pthread_mutex_unlock(&s->lock);
}

static void rx_push(struct serial *s, uint8_t c)
{
	if (s->rx_count == SERIAL_RX_BUFFER) {
		s->lsr |= UART_LSR_OE;
		return;
	}
	s->rx[(s->rx_head + s->rx_count) % SERIAL_RX_BUFFER] = c;
	s->rx_count++;
}

static void transmit(struct serial *s, uint8_t c)
{
	if (s->mcr & UART_MCR_LOOP) {
		rx_push(s, c);
		update_lsr(s);
	} else {
		/* Buffered, never waited for: a stdout that does not drain
		 * must not hold a vCPU (and this lock) in write(). */
		console_output_write(s->out, &c, 1);
	}
	/* The byte left at once: THR and the shifter are empty again. */
	s->lsr |= UART_LSR_THRE | UART_LSR_TEMT;
	s->thr_ipending = true;
}

static uint8_t loopback_msr(struct serial *s)
{
	uint8_t m = 0;

	if (s->mcr & UART_MCR_RTS)
		m |= UART_MSR_CTS;
	if (s->mcr & UART_MCR_DTR)
		m |= UART_MSR_DSR;
	if (s->mcr & UART_MCR_OUT1)
		m |= UART_MSR_RI;
	if (s->mcr & UART_MCR_OUT2)
		m |= UART_MSR_DCD;
	return m;
}

uint8_t serial_read_reg(struct serial *s, unsigned offset)
{
	uint8_t v = 0xff;
	bool dlab;

	pthread_mutex_lock(&s->lock);
	dlab = s->lcr & UART_LCR_DLAB;
	switch (offset) {
	case UART_RX:
		if (dlab) {
			v = s->dll;
			break;
		}
		v = 0;
		if (s->rx_count) {
			v = s->rx[s->rx_head];
			s->rx_head = (s->rx_head + 1) % SERIAL_RX_BUFFER;
			s->rx_count--;
			if (s->rx_was_full) {
				uint64_t one = 1;

				s->rx_was_full = false;
				/* A saturated counter still wakes the loop. */
				(void)!write(s->rx_ready_fd, &one, sizeof(one));
			}
		}
		update_lsr(s);
		break;
	case UART_IER:
		v = dlab ? s->dlm : s->ier;
		break;
	case UART_IIR:
		v = compute_iir(s);
		/* Reading IIR acknowledges a THRE interrupt it reports. */
		if ((v & 0x0f) == UART_IIR_THRI)
			s->thr_ipending = false;
		break;
	case UART_LCR:
		v = s->lcr;
		break;
	case UART_MCR:
		v = s->mcr;
		break;
	case UART_LSR:
		v = s->lsr;
		/* Error bits clear on read. */
		s->lsr &= ~(UART_LSR_BRK_ERROR_BITS);
		break;
	case UART_MSR:
		if (s->mcr & UART_MCR_LOOP) {
			v = loopback_msr(s);
		} else {
			v = s->msr;
			s->msr &= ~UART_MSR_ANY_DELTA;
		}
		break;
	case UART_SCR:
		v = s->scr;
		break;
	}
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return v;
}

void serial_write_reg(struct serial *s, unsigned offset, uint8_t value)
{
	bool dlab;

	pthread_mutex_lock(&s->lock);
	dlab = s->lcr & UART_LCR_DLAB;
	switch (offset) {
	case UART_TX:
		if (dlab) {
			s->dll = value;
		} else {
			s->thr_ipending = false;
			transmit(s, value);
		}
		break;
	case UART_IER:
		if (dlab) {
			s->dlm = value;
		} else {
			/* Enabling THRI while THR is empty raises it at once (the
			 * 8250 driver tests this at start-up). */
			if (!(s->ier & UART_IER_THRI) && (value & UART_IER_THRI) &&
			    (s->lsr & UART_LSR_THRE))
				s->thr_ipending = true;
			s->ier = value & 0x0f;
		}
		break;
	case UART_FCR:
		if (value & UART_FCR_CLEAR_RCVR) {
			s->rx_head = s->rx_count = 0;
			update_lsr(s);
		}
		s->fcr = value & (UART_FCR_ENABLE_FIFO | UART_FCR_TRIGGER_MASK);
		break;
	case UART_LCR:
		s->lcr = value;
		break;
	case UART_MCR:
		s->mcr = value & 0x1f;
		break;
	case UART_LSR:
	case UART_MSR:
		break;   /* read-only (factory test registers) */
	case UART_SCR:
		s->scr = value;
		break;
	}
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = SERIAL_RX_BUFFER - s->rx_count;
	if (n > len)
		n = len;
	/* Loopback disconnects the receiver from the line. */
	if (!(s->mcr & UART_MCR_LOOP)) {
		for (size_t i = 0; i < n; i++)
			rx_push(s, buf[i]);
	}
	if (s->rx_count == SERIAL_RX_BUFFER)
		s->rx_was_full = true;
	update_lsr(s);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}

size_t serial_rx_room(struct serial *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = SERIAL_RX_BUFFER - s->rx_count;
	if (n == 0)
		s->rx_was_full = true;
	pthread_mutex_unlock(&s->lock);
	return n;
}

int serial_rx_ready_fd(struct serial *s)
{
	return s->rx_ready_fd;
}

/* Bus glue: COM1 decodes 8 byte-wide registers. */
static uint64_t pio_read(void *opaque, uint64_t offset, unsigned size)
{
	if (offset >= 8 || size != 1)
		return ~0ULL;
	return serial_read_reg(opaque, (unsigned)offset);
}

static void pio_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	if (offset >= 8 || size != 1)
		return;
	serial_write_reg(opaque, (unsigned)offset, (uint8_t)value);
}

static const struct bus_ops serial_ops = { .read = pio_read, .write = pio_write };

static void serial_irq(void *ctx, bool level)
{
	vm_set_irq_line(ctx, IRQ_COM1, level);
}

static size_t console_receive(void *opaque, const uint8_t *buf, size_t len)
{
	return serial_receive(opaque, buf, len);
}

static int create(struct device *d, struct loop *loop)
{
	struct vm *vm = d->vm;
	struct serial *s;
	int r;

	s = serial_create(serial_irq, vm, vm->console_out);
	if (!s)
		return -ENOMEM;
	d->priv = s;
	r = bus_register(&vm->pio, PORT_COM1, 8, "com1", &serial_ops, s);
	if (r < 0)
		return r;
	/* The console by default; a virtio console may claim it instead. */
	return console_claim(vm, &(struct console_port){
		.name = "com1",
		.receive = console_receive,
		.opaque = s,
		.room_fd = serial_rx_ready_fd(s),
		.priority = 0,
	});
}

static void reset(struct device *d)
{
	serial_reset(d->priv);
}

static void destroy(struct device *d)
{
	serial_free(d->priv);
}

static void acpi(struct device *d, struct acpi_config *a)
{
	a->com1 = true;
}

const struct device_type serial_device_type = {
	.name = "com1",
	.create = create,
	.reset = reset,
	.free = destroy,
	.acpi = acpi,
};
