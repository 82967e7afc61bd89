/* SPDX-License-Identifier: GPL-2.0-only */
/* The small platform devices without an interface of their own: each
 * registers itself on the VM's PIO bus. */
#ifndef PARTVM_PLATFORM_H
#define PARTVM_PLATFORM_H

struct vm;

int i8042_init(struct vm *vm);
void i8042_exit(struct vm *vm);

/* Port 0xf4; registered with --debug-exit and for the embedded guest. */
int debug_exit_init(struct vm *vm);

#endif
