// SPDX-License-Identifier: GPL-2.0-only
/*
 * QEMU's isa-debug-exit: a write of V to port 0xf4 ends partvm with exit
 * status (V << 1) | 1, so a test guest can report a result that can never
 * be confused with a clean poweroff (0).
 */
#include "core/devices/platform.h"

#include "core/vm/device.h"
#include "core/vm/layout.h"
#include "core/vm/vm.h"

static void debug_exit_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct vm *vm = opaque;

	if (offset != 0 || (size != 1 && size != 2 && size != 4))
		return;
	vm_request_stop(vm, VM_STOP_DEBUG_EXIT, (int)(((value << 1) | 1) & 0xff));
}

static const struct bus_ops debug_exit_ops = { .write = debug_exit_write };

static int create(struct device *d, struct loop *loop)
{
	/* Four ports wide, like iosize=4, so word and dword writes decode. */
	return bus_register(&d->vm->pio, PORT_DEBUG_EXIT, 4, "debug-exit", &debug_exit_ops, d->vm);
}

/* With --debug-exit, and always for the embedded test guest. */
static bool wanted(const struct vm_config *cfg)
{
	return cfg->debug_exit || (!cfg->kernel && !cfg->firmware);
}

const struct device_type debug_exit_device_type = {
	.name = "debug-exit",
	.wanted = wanted,
	.create = create,
};
