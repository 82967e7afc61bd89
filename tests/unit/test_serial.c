// SPDX-License-Identifier: GPL-2.0-only
/* The 16550A model: registers, FIFO, and the interrupt line the 8250
 * driver depends on (THRE on enable, RX data, OUT2 gating, loopback). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/serial_reg.h>
#include <string.h>
#include <unistd.h>

#include "core/devices/serial.h"
#include "core/vm/console_output.h"

struct fixture {
	struct serial *s;
	struct console_output *out;
	int pipe[2];
	bool level;
	int edges;
};

static void irq(void *ctx, bool level)
{
	struct fixture *f = ctx;

	f->level = level;
	f->edges++;
}

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	if (pipe2(f.pipe, O_NONBLOCK) < 0)
		return -1;
	if (console_output_create(&f.out, f.pipe[1], 4096, NULL) < 0)
		return -1;
	f.s = serial_create(irq, &f, f.out);
	*state = &f;
	return f.s ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	serial_free(f->s);
	console_output_free(f->out, 1000);
	close(f->pipe[0]);
	close(f->pipe[1]);
	return 0;
}

/* What the UART sent, once the console output has written it out. */
static ssize_t sent(struct fixture *f, char *buf, size_t len)
{
	assert_int_equal(console_output_flush(f->out, 5000), 0);
	return read(f->pipe[0], buf, len);
}

static void test_reset_state(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(serial_read_reg(f->s, UART_LSR), UART_LSR_TEMT | UART_LSR_THRE);
	assert_int_equal(serial_read_reg(f->s, UART_IIR) & 0x0f, UART_IIR_NO_INT);
	assert_int_equal(serial_read_reg(f->s, UART_IER), 0);
	assert_false(f->level);
	/* Out-of-range registers read as a floating bus. */
	assert_int_equal(serial_read_reg(f->s, 8), 0xff);
}

static void test_transmit(void **state)
{
	struct fixture *f = *state;
	char buf[16];

	serial_write_reg(f->s, UART_TX, 'h');
	serial_write_reg(f->s, UART_TX, 'i');
	assert_int_equal(sent(f, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "hi", 2);
	assert_true(serial_read_reg(f->s, UART_LSR) & UART_LSR_THRE);
}

static void test_divisor_latch(void **state)
{
	struct fixture *f = *state;
	char buf[4];

	serial_write_reg(f->s, UART_LCR, UART_LCR_DLAB | UART_LCR_WLEN8);
	serial_write_reg(f->s, UART_DLL, 0x01);
	serial_write_reg(f->s, UART_DLM, 0x00);
	assert_int_equal(serial_read_reg(f->s, UART_DLL), 0x01);
	assert_int_equal(serial_read_reg(f->s, UART_DLM), 0x00);
	serial_write_reg(f->s, UART_LCR, UART_LCR_WLEN8);
	/* With DLAB off, offset 0 is the data register again. */
	serial_write_reg(f->s, UART_TX, 'x');
	assert_int_equal(sent(f, buf, sizeof(buf)), 1);
	assert_int_equal(serial_read_reg(f->s, UART_IER), 0);
}

/* Enabling THRI with THR empty raises an interrupt at once; reading IIR
 * acknowledges it; the line follows only with OUT2 set. */
static void test_thre_interrupt(void **state)
{
	struct fixture *f = *state;

	serial_write_reg(f->s, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR | UART_MCR_RTS);
	serial_write_reg(f->s, UART_IER, UART_IER_THRI);
	assert_true(f->level);
	assert_int_equal(serial_read_reg(f->s, UART_IIR) & 0x0f, UART_IIR_THRI);
	assert_false(f->level);
	assert_int_equal(serial_read_reg(f->s, UART_IIR) & 0x0f, UART_IIR_NO_INT);
	/* Writing THR: the byte leaves at once and THRE is pending again. */
	serial_write_reg(f->s, UART_TX, 'a');
	assert_true(f->level);
	/* Without OUT2 the PC's IRQ line stays low. */
	serial_write_reg(f->s, UART_MCR, 0);
	assert_false(f->level);
	serial_write_reg(f->s, UART_MCR, UART_MCR_OUT2);
	assert_true(f->level);
	serial_write_reg(f->s, UART_IER, 0);
	assert_false(f->level);
}

static void test_receive(void **state)
{
	struct fixture *f = *state;
	uint8_t in[3] = { 'a', 'b', 'c' };

	serial_write_reg(f->s, UART_MCR, UART_MCR_OUT2);
	serial_write_reg(f->s, UART_IER, UART_IER_RDI);
	assert_false(f->level);
	assert_int_equal(serial_receive(f->s, in, 3), 3);
	assert_true(f->level);
	assert_true(serial_read_reg(f->s, UART_LSR) & UART_LSR_DR);
	assert_int_equal(serial_read_reg(f->s, UART_IIR) & 0x0f, UART_IIR_RDI);
	assert_int_equal(serial_read_reg(f->s, UART_RX), 'a');
	assert_int_equal(serial_read_reg(f->s, UART_RX), 'b');
	assert_true(f->level);
	assert_int_equal(serial_read_reg(f->s, UART_RX), 'c');
	assert_false(f->level);
	assert_false(serial_read_reg(f->s, UART_LSR) & UART_LSR_DR);
	/* Reading an empty receiver is harmless. */
	assert_int_equal(serial_read_reg(f->s, UART_RX), 0);
}

/* A flood of host input never overruns memory: the UART takes what fits,
 * the rest stays with the caller. */
static void test_receive_bounded(void **state)
{
	struct fixture *f = *state;
	static uint8_t big[SERIAL_RX_BUFFER + 100];
	uint64_t v;

	memset(big, 'z', sizeof(big));
	assert_int_equal(serial_receive(f->s, big, sizeof(big)), SERIAL_RX_BUFFER);
	assert_int_equal(serial_rx_room(f->s), 0);
	assert_int_equal(serial_receive(f->s, big, 10), 0);
	assert_int_equal(serial_read_reg(f->s, UART_RX), 'z');
	assert_int_equal(serial_rx_room(f->s), 1);
	/* The consumer side was told that room freed up. */
	assert_int_equal(read(serial_rx_ready_fd(f->s), &v, sizeof(v)), sizeof(v));
}

static void test_loopback(void **state)
{
	struct fixture *f = *state;
	char buf[4];

	serial_write_reg(f->s, UART_MCR, UART_MCR_LOOP | UART_MCR_RTS | UART_MCR_OUT2);
	/* MSR mirrors MCR: RTS -> CTS, OUT2 -> DCD. */
	assert_int_equal(serial_read_reg(f->s, UART_MSR) & 0xf0, UART_MSR_CTS | UART_MSR_DCD);
	serial_write_reg(f->s, UART_TX, 0x5a);
	assert_int_equal(sent(f, buf, sizeof(buf)), -1);   /* nothing left the chip */
	assert_true(serial_read_reg(f->s, UART_LSR) & UART_LSR_DR);
	assert_int_equal(serial_read_reg(f->s, UART_RX), 0x5a);
	serial_write_reg(f->s, UART_MCR, UART_MCR_OUT2);
	assert_int_equal(serial_read_reg(f->s, UART_MSR) & 0xf0,
			 UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
}

/*
 * Issue 18, defect 3: a stdout nobody reads (a blocking pipe, full) must
 * not stop a guest writing to the UART (it held the vCPU, and the UART's
 * lock, in write()). The newest output survives, the loss is counted, and
 * freeing the output ends a write that would never return.
 */
static void test_stalled_stdout(void **state)
{
	struct console_output *out;
	struct serial *s;
	char buf[64], tail[8];
	int p[2], n = 0;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(console_output_create(&out, p[1], 4096, NULL), 0);
	s = serial_create(irq, *state, out);
	alarm(10);                              /* before the fix: stuck here */
	for (int i = 0; i < 1 << 20; i++)
		serial_write_reg(s, UART_TX, 'x');
	for (const char *c = "the end"; *c; c++)
		serial_write_reg(s, UART_TX, (uint8_t)*c);
	alarm(0);
	/* 1 MiB into a 64 KiB pipe and a 4 KiB buffer: most was dropped. */
	assert_true(console_output_dropped(out) > (1 << 20) - 80 * 1024);
	/* A reader comes back: the newest bytes are what is still there, and
	 * every byte was either written out or counted as dropped. */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		ssize_t r = read(p[0], buf, sizeof(buf));

		if (r <= 0 && console_output_flush(out, 0) == 0)
			r = read(p[0], buf, sizeof(buf));   /* drained: the pipe has the rest */
		else if (r <= 0) {
			usleep(1000);
			continue;
		}
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++) {
			memmove(tail, tail + 1, 6);
			tail[6] = buf[i];
		}
		n += (int)r;
	}
	assert_memory_equal(tail, "the end", 7);
	assert_int_equal((uint64_t)n + console_output_dropped(out), (1 << 20) + 7);
	serial_free(s);
	console_output_free(out, 100);
	close(p[0]);
	close(p[1]);
}

/* Freeing the output while its thread is blocked writing to a pipe nobody
 * will ever read: it gives up after the timeout instead of hanging. */
static void test_free_stalled(void **state)
{
	struct console_output *out;
	static char big[256 * 1024];
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(console_output_create(&out, p[1], sizeof(big), NULL), 0);
	console_output_write(out, big, sizeof(big));
	assert_int_equal(console_output_flush(out, 50), -ETIMEDOUT);
	alarm(10);
	console_output_free(out, 100);
	alarm(0);
	close(p[0]);
	close(p[1]);
}

/* A reader that went away: counted as lost, no SIGPIPE. */
static void test_reader_gone(void **state)
{
	struct console_output *out;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	assert_int_equal(console_output_create(&out, p[1], 4096, NULL), 0);
	console_output_write(out, "hello", 5);
	assert_int_equal(console_output_flush(out, 5000), -EPIPE);
	console_output_write(out, "again", 5);
	assert_int_equal(console_output_dropped(out), 10);
	console_output_free(out, 100);
	close(p[1]);
}

static void test_fifo_and_scratch(void **state)
{
	struct fixture *f = *state;
	uint8_t in = 'q';

	serial_write_reg(f->s, UART_FCR, UART_FCR_ENABLE_FIFO);
	/* The 8250 driver recognises a 16550A by both FIFO bits in IIR. */
	assert_int_equal(serial_read_reg(f->s, UART_IIR) & 0xc0, 0xc0);
	serial_receive(f->s, &in, 1);
	serial_write_reg(f->s, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
	assert_false(serial_read_reg(f->s, UART_LSR) & UART_LSR_DR);
	serial_write_reg(f->s, UART_SCR, 0xa5);
	assert_int_equal(serial_read_reg(f->s, UART_SCR), 0xa5);
	serial_reset(f->s);
	assert_int_equal(serial_read_reg(f->s, UART_SCR), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reset_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transmit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_divisor_latch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thre_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_and_scratch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stalled_stdout, setup, teardown),
		cmocka_unit_test(test_free_stalled),
		cmocka_unit_test(test_reader_gone),
	};
	return cmocka_run_group_tests_name("serial", tests, NULL, NULL);
}
