/* SPDX-License-Identifier: GPL-2.0-only */
/* The platform devices without an interface of their own: the small ones
 * on the VM's PIO bus, and IVSHMEM on the PCI bus. */
#ifndef PARTVM_PLATFORM_H
#define PARTVM_PLATFORM_H

struct device_type;

/* The i8042's reset line (0x60/0x64): a guest's keyboard-controller
 * reboot. */
extern const struct device_type i8042_device_type;

/* Port 0xf4: with --debug-exit and for the embedded guest. */
extern const struct device_type debug_exit_device_type;

/* [ivshmem]: a host file shared with the guest as a PCI BAR (1af4:1110),
 * for Looking Glass and Scream. */
extern const struct device_type ivshmem_device_type;

#endif
