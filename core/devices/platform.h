/* SPDX-License-Identifier: GPL-2.0-only */
/* The small platform devices without an interface of their own: each
 * registers itself on the VM's PIO bus. */
#ifndef PARTVM_PLATFORM_H
#define PARTVM_PLATFORM_H

struct device_type;

/* The i8042's reset line (0x60/0x64): a guest's keyboard-controller
 * reboot. */
extern const struct device_type i8042_device_type;

/* Port 0xf4: with --debug-exit and for the embedded guest. */
extern const struct device_type debug_exit_device_type;

#endif
