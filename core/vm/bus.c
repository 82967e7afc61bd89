// SPDX-License-Identifier: GPL-2.0-only
#include "core/vm/bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int bus_init(struct bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	return -pthread_rwlock_init(&bus->lock, NULL);
}

void bus_destroy(struct bus *bus)
{
	free(bus->ranges);
	pthread_rwlock_destroy(&bus->lock);
	memset(bus, 0, sizeof(*bus));
}

/* Index of the first range whose end is above ADDR. */
static unsigned lower_bound(const struct bus *bus, uint64_t addr)
{
	unsigned lo = 0, hi = bus->nranges;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &bus->ranges[mid];

		if (r->base + r->len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len, const char *name,
		 const struct bus_ops *ops, void *opaque)
{
	unsigned i;
	int r = 0;

	if (len == 0 || base + len < base)
		return -EINVAL;
	pthread_rwlock_wrlock(&bus->lock);
	i = lower_bound(bus, base);
	if (i < bus->nranges && bus->ranges[i].base < base + len) {
		r = -EEXIST;
		goto out;
	}
	if (bus->nranges == bus->cap) {
		unsigned cap = bus->cap ? bus->cap * 2 : 16;
		struct bus_range *n = realloc(bus->ranges, cap * sizeof(*n));

		if (!n) {
			r = -ENOMEM;
			goto out;
		}
		bus->ranges = n;
		bus->cap = cap;
	}
	memmove(&bus->ranges[i + 1], &bus->ranges[i], (bus->nranges - i) * sizeof(*bus->ranges));
	bus->ranges[i] = (struct bus_range){ base, len, name, ops, opaque };
	bus->nranges++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return r;
}

int bus_unregister(struct bus *bus, uint64_t base, void *opaque)
{
	unsigned i;
	int r = -ENOENT;

	pthread_rwlock_wrlock(&bus->lock);
	i = lower_bound(bus, base);
	if (i < bus->nranges && bus->ranges[i].base == base && bus->ranges[i].opaque == opaque) {
		memmove(&bus->ranges[i], &bus->ranges[i + 1],
			(bus->nranges - i - 1) * sizeof(*bus->ranges));
		bus->nranges--;
		r = 0;
	}
	pthread_rwlock_unlock(&bus->lock);
	return r;
}

/*
 * Find the range decoding [ADDR, ADDR+SIZE) entirely and copy it out, so
 * the handler runs without the lock held: a handler may itself change the
 * bus (a PCI config write that moves a BAR). Devices outlive the vCPUs, so
 * the copied opaque stays valid.
 */
static bool find(struct bus *bus, uint64_t addr, unsigned size, struct bus_range *out)
{
	const struct bus_range *r;
	bool found = false;
	unsigned i;

	pthread_rwlock_rdlock(&bus->lock);
	i = lower_bound(bus, addr);
	if (i < bus->nranges) {
		r = &bus->ranges[i];
		if (addr >= r->base && size >= 1 && size <= 8 && addr - r->base + size <= r->len) {
			*out = *r;
			found = true;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
	return found;
}

bool bus_access(struct bus *bus, uint64_t addr, unsigned size, bool write, uint64_t *value,
		const char **name, uint64_t *base)
{
	struct bus_range r;

	if (!find(bus, addr, size, &r))
		return false;
	if (name)
		*name = r.name;
	if (base)
		*base = r.base;
	if (write) {
		if (!r.ops->write)
			return false;
		r.ops->write(r.opaque, addr - r.base, size, *value);
	} else {
		if (!r.ops->read)
			return false;
		*value = r.ops->read(r.opaque, addr - r.base, size);
	}
	return true;
}

bool bus_read(struct bus *bus, uint64_t addr, unsigned size, uint64_t *value)
{
	return bus_access(bus, addr, size, false, value, NULL, NULL);
}

bool bus_write(struct bus *bus, uint64_t addr, unsigned size, uint64_t value)
{
	return bus_access(bus, addr, size, true, &value, NULL, NULL);
}
