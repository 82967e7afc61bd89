/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PIO and MMIO dispatch. A device registers the ranges it decodes with the
 * bus it sits on; the vCPU loop knows nothing about devices, it only hands
 * each exit to bus_read()/bus_write().
 *
 * Handlers are called from vCPU threads concurrently: a device protects its
 * own state. OFFSET is relative to the registered base; the bus guarantees
 * OFFSET + SIZE <= LEN and SIZE in 1..8, and devices check again against
 * their own register layout.
 */
#ifndef PARTVM_BUS_H
#define PARTVM_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct bus_ops {
	uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
	void (*write)(void *opaque, uint64_t offset, unsigned size, uint64_t value);
};

struct bus_range {
	uint64_t base;
	uint64_t len;
	const char *name;
	const struct bus_ops *ops;
	void *opaque;
};

struct bus {
	const char *name;            /* "pio" / "mmio", for messages */
	pthread_rwlock_t lock;       /* ranges change at run time (BAR moves) */
	struct bus_range *ranges;    /* sorted by base, non-overlapping */
	unsigned nranges, cap;
};

int bus_init(struct bus *bus, const char *name);
void bus_destroy(struct bus *bus);

/* Returns -EEXIST when [BASE, BASE+LEN) overlaps a registered range. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, const char *name,
		 const struct bus_ops *ops, void *opaque);
/* Remove the range registered at BASE for OPAQUE; -ENOENT if none. */
int bus_unregister(struct bus *bus, uint64_t base, void *opaque);

/* Dispatch an access. Returns false when no device decodes the address
 * (the caller decides: reads of nothing return all-ones on a PC). An access
 * that straddles the end of a range is not decoded. */
bool bus_read(struct bus *bus, uint64_t addr, unsigned size, uint64_t *value);
bool bus_write(struct bus *bus, uint64_t addr, unsigned size, uint64_t value);
/* The same, saying which range took it (NAME and BASE; untouched when
 * nothing decodes the address): for the exit statistics. */
bool bus_access(struct bus *bus, uint64_t addr, unsigned size, bool write, uint64_t *value,
		const char **name, uint64_t *base);

#endif
