/* SPDX-License-Identifier: GPL-2.0-only */
/* The machine partvm builds: its device types in start order. */
#ifndef PARTVM_BOARD_H
#define PARTVM_BOARD_H

struct device_type;

/* NULL-terminated; config_init() and `partvm run` take it. */
extern const struct device_type *const board_device_types[];

#endif
