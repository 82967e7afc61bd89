// SPDX-License-Identifier: GPL-2.0-only
/*
 * The i8042 keyboard controller, only as far as a reset needs it: command
 * 0xFE (pulse the reset line) on port 0x64, and the older "write output
 * port" command 0xD1 with bit 0 (CPU reset) cleared. The FADT says there
 * is no 8042, so Linux does not probe for a keyboard.
 */
#include "core/devices/platform.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/vm/device.h"
#include "core/vm/layout.h"
#include "core/vm/vm.h"

#define I8042_CMD_WRITE_OUTPUT 0xd1
#define I8042_CMD_PULSE_RESET  0xfe
#define I8042_OUTPUT_NOT_RESET 0x01
/* Status: self-test passed (system flag) and keyboard not inhibited;
 * both buffers empty, so a guest waiting to send a command never blocks. */
#define I8042_STATUS 0x14

struct i8042 {
	struct vm *vm;
	pthread_mutex_t lock;
	uint8_t pending_cmd;
};

static uint64_t i8042_read(void *opaque, uint64_t offset, unsigned size)
{
	if (size != 1)
		return ~0ULL;
	return offset == PORT_I8042_CMD - PORT_I8042_DATA ? I8042_STATUS : 0;
}

static void i8042_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct i8042 *k = opaque;
	bool reset = false;

	if (size != 1)
		return;
	pthread_mutex_lock(&k->lock);
	if (offset == PORT_I8042_CMD - PORT_I8042_DATA) {
		k->pending_cmd = (uint8_t)value;
		reset = value == I8042_CMD_PULSE_RESET;
	} else if (offset == 0) {
		if (k->pending_cmd == I8042_CMD_WRITE_OUTPUT)
			reset = !(value & I8042_OUTPUT_NOT_RESET);
		k->pending_cmd = 0;
	}
	pthread_mutex_unlock(&k->lock);
	if (reset)
		vm_request_stop(k->vm, VM_STOP_RESET, 0);
}

static const struct bus_ops i8042_ops = { .read = i8042_read, .write = i8042_write };

static int create(struct device *d, struct loop *loop)
{
	struct i8042 *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	k->vm = d->vm;
	pthread_mutex_init(&k->lock, NULL);
	d->priv = k;
	/* 0x60-0x64: data, and (at +4) command/status. */
	return bus_register(&d->vm->pio, PORT_I8042_DATA, 5, "i8042", &i8042_ops, k);
}

static void destroy(struct device *d)
{
	struct i8042 *k = d->priv;

	if (!k)
		return;
	pthread_mutex_destroy(&k->lock);
	free(k);
}

const struct device_type i8042_device_type = {
	.name = "i8042",
	.create = create,
	.free = destroy,
};
