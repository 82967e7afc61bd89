// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where each passed-through device goes on the guest's bus (internal.h).
 * The functions of one host device, such as a GPU at 01:00.0 and its HDMI
 * audio at 01:00.1, share an IOMMU group, are passed together, and their
 * drivers expect each other as functions of one device: they share a guest
 * slot, each at its host function. A slot exists only with its function 0,
 * so that takes the host's function 0 among them; without it each is
 * function 0 of a slot of its own, as is every other device.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/cleanup.h"
#include "vfio/internal.h"

/* Same domain, bus and device: everything before the function. */
static bool same_device(const char *a, const char *b)
{
	size_t dot = (size_t)(strrchr(a, '.') - a);

	return !strncmp(a, b, dot + 1);
}

static unsigned function_of(const char *bdf)
{
	return (unsigned)(strrchr(bdf, '.')[1] - '0');
}

static int by_slot_then_function(const void *a, const void *b)
{
	const struct vfio_place *x = a, *y = b;

	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	return x->fn < y->fn ? -1 : x->fn > y->fn;
}

int vfio_place_devices(const char *const *bdfs, const bool *alone, size_t n,
		       struct vfio_place *out)
{
	_cleanup_free_ char (*norm)[IOMMU_BDF_LEN] = NULL;
	_cleanup_free_ size_t *lead = NULL;
	_cleanup_free_ unsigned *slot_of = NULL;
	unsigned nslots = 0;

	if (!n)
		return 0;
	norm = calloc(n, sizeof(*norm));
	lead = calloc(n, sizeof(*lead));
	slot_of = calloc(n, sizeof(*slot_of));
	if (!norm || !lead || !slot_of)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (iommu_parse_bdf(bdfs[i], norm[i]) < 0)
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(norm[i], norm[j]))
				return -EINVAL;
	}
	/* Each device's lead: the host function 0 whose slot it joins, or
	 * itself for a slot of its own. */
	for (size_t i = 0; i < n; i++) {
		lead[i] = i;
		if (alone && alone[i])
			continue;
		for (size_t j = 0; j < n; j++)
			if (!(alone && alone[j]) && function_of(norm[j]) == 0 &&
			    same_device(norm[i], norm[j]))
				lead[i] = j;
	}
	/* Slots in the order their first device comes in the list: which
	 * devices share one does not depend on it. */
	for (size_t i = 0; i < n; i++)
		slot_of[i] = (unsigned)-1;
	for (size_t i = 0; i < n; i++)
		if (slot_of[lead[i]] == (unsigned)-1)
			slot_of[lead[i]] = nslots++;
	for (size_t i = 0; i < n; i++)
		out[i] = (struct vfio_place){
			.dev = i,
			.slot = slot_of[lead[i]],
			.fn = lead[i] == i ? 0 : function_of(norm[i]),
		};
	qsort(out, n, sizeof(*out), by_slot_then_function);
	return (int)nslots;
}
