// SPDX-License-Identifier: GPL-2.0-only
/* Where passed-through devices go on the guest's bus (vfio/place.c): the
 * functions of one host device share a slot at their host functions when
 * its function 0 is passed too, whatever the order they are listed in;
 * anything else, and every pool VF, gets a slot of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vfio/internal.h"

#define MAX 8

struct placed {
	int nslots;
	struct vfio_place by_dev[MAX];    /* indexed by device */
	struct vfio_place order[MAX];     /* as returned: the plug-in order */
};

static struct placed place(const char *const *bdfs, const bool *alone, size_t n)
{
	struct placed p;

	memset(&p, 0xee, sizeof(p));
	assert_true(n <= MAX);
	p.nslots = vfio_place_devices(bdfs, alone, n, p.order);
	if (p.nslots < 0)
		return p;
	for (size_t i = 0; i < n; i++) {
		assert_true(p.order[i].dev < n);
		p.by_dev[p.order[i].dev] = p.order[i];
	}
	/* Every device once; slot by slot, function 0 first, no function
	 * twice in a slot. */
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++)
			assert_true(p.order[i].dev != p.order[j].dev);
		if (i && p.order[i].slot == p.order[i - 1].slot)
			assert_true(p.order[i].fn > p.order[i - 1].fn);
		else
			assert_int_equal(p.order[i].fn, 0);
		assert_true(p.order[i].slot < (unsigned)p.nslots);
	}
	return p;
}

/* "slot.fn" of device I, with slots numbered as place() did. */
static const char *where(const struct placed *p, size_t i)
{
	static char buf[MAX][16];

	snprintf(buf[i], sizeof(buf[i]), "%u.%u", p->by_dev[i].slot, p->by_dev[i].fn);
	return buf[i];
}

/* A GPU and its audio, given audio first, with a NIC between them: one
 * slot for the pair (the first, as audio comes first), the GPU as its
 * function 0 and plugged in first; the NIC in the next. */
static void test_gpu_and_audio(void **state)
{
	const char *bdfs[] = { "0000:01:00.1", "0000:02:00.0", "0000:01:00.0" };
	struct placed p = place(bdfs, NULL, 3);

	assert_int_equal(p.nslots, 2);
	assert_string_equal(where(&p, 0), "0.1");
	assert_string_equal(where(&p, 1), "1.0");
	assert_string_equal(where(&p, 2), "0.0");
	assert_int_equal(p.order[0].dev, 2);
	assert_int_equal(p.order[1].dev, 0);
	assert_int_equal(p.order[2].dev, 1);
}

/* Every order of the same devices: the same devices share a slot, each at
 * the same function. */
static void test_order_does_not_matter(void **state)
{
	const char *all[] = { "0000:01:00.0", "0000:01:00.1", "0000:01:00.3", "0000:02:00.0",
			      "0000:03:00.2", "0000:03:00.5" };
	const size_t n = sizeof(all) / sizeof(all[0]);
	/* slot-mate[i][j]: do devices i and j (of ALL) share a slot? */
	const bool mates[6][6] = {
		{ 1, 1, 1, 0, 0, 0 }, { 1, 1, 1, 0, 0, 0 }, { 1, 1, 1, 0, 0, 0 },
		{ 0, 0, 0, 1, 0, 0 }, { 0, 0, 0, 0, 1, 0 }, { 0, 0, 0, 0, 0, 1 },
	};
	const unsigned fn[6] = { 0, 1, 3, 0, 0, 0 };
	size_t perm[6] = { 0, 1, 2, 3, 4, 5 };
	unsigned permutations = 0;

	/* Heap's algorithm, iteratively: all 720 orders. */
	size_t c[6] = { 0 };
	size_t i = 1;

	for (;;) {
		const char *bdfs[6];
		struct placed p;

		for (size_t k = 0; k < n; k++)
			bdfs[k] = all[perm[k]];
		p = place(bdfs, NULL, n);
		assert_int_equal(p.nslots, 4);
		for (size_t a = 0; a < n; a++) {
			assert_int_equal(p.by_dev[a].fn, fn[perm[a]]);
			for (size_t b = 0; b < n; b++)
				assert_int_equal(p.by_dev[a].slot == p.by_dev[b].slot,
						 mates[perm[a]][perm[b]]);
		}
		/* The first device listed is in the first slot. */
		assert_int_equal(p.by_dev[0].slot, 0);
		permutations++;

		while (i < n && c[i] >= i) {
			c[i] = 0;
			i++;
		}
		if (i >= n)
			break;
		{
			size_t j = i % 2 == 0 ? 0 : c[i], t = perm[j];

			perm[j] = perm[i];
			perm[i] = t;
		}
		c[i]++;
		i = 1;
	}
	assert_int_equal(permutations, 720);
}

/* Function 1 without its function 0: a slot of its own, as function 0;
 * so is its sibling function 2. */
static void test_without_function_0(void **state)
{
	const char *bdfs[] = { "0000:01:00.1", "0000:01:00.2" };
	struct placed p = place(bdfs, NULL, 2);

	assert_int_equal(p.nslots, 2);
	assert_string_equal(where(&p, 0), "0.0");
	assert_string_equal(where(&p, 1), "1.0");
}

/* Same device number on another bus or domain is another device. */
static void test_other_bus_or_domain(void **state)
{
	const char *bdfs[] = { "0000:01:00.0", "0000:02:00.1", "0001:01:00.1", "01:00.1" };
	struct placed p = place(bdfs, NULL, 4);

	assert_int_equal(p.nslots, 3);
	assert_string_equal(where(&p, 0), "0.0");
	assert_string_equal(where(&p, 1), "1.0");
	assert_string_equal(where(&p, 2), "2.0");
	/* The short form is domain 0000. */
	assert_string_equal(where(&p, 3), "0.1");
}

/* Pool VFs: which VF a pool gives varies from start to start, so each has
 * a slot of its own even beside function 0 of its device, and none leads
 * a slot another device joins. */
static void test_alone(void **state)
{
	const char *bdfs[] = { "0000:00:12.0", "0000:00:12.2", "0000:00:12.4", "0000:03:00.0",
			       "0000:03:00.1" };
	const bool alone[] = { true, true, false, false, true };
	struct placed p = place(bdfs, alone, 5);

	assert_int_equal(p.nslots, 5);
	assert_string_equal(where(&p, 0), "0.0");
	assert_string_equal(where(&p, 1), "1.0");
	assert_string_equal(where(&p, 2), "2.0");
	assert_string_equal(where(&p, 3), "3.0");
	assert_string_equal(where(&p, 4), "4.0");
}

/* All eight functions of a device in one slot. */
static void test_eight_functions(void **state)
{
	const char *bdfs[] = { "0000:05:1f.7", "0000:05:1f.6", "0000:05:1f.5", "0000:05:1f.4",
			       "0000:05:1f.3", "0000:05:1f.2", "0000:05:1f.1", "0000:05:1f.0" };
	struct placed p = place(bdfs, NULL, 8);

	assert_int_equal(p.nslots, 1);
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(p.order[i].fn, i);
		assert_int_equal(p.order[i].dev, 7 - i);
	}
}

static void test_bad_input(void **state)
{
	const char *bad[] = { "0000:01:00.0", "0000:01:00.8" };
	const char *twice[] = { "0000:01:00.0", "01:00.0" };
	struct vfio_place out[2];

	assert_int_equal(vfio_place_devices(bad, NULL, 2, out), -EINVAL);
	assert_int_equal(vfio_place_devices(twice, NULL, 2, out), -EINVAL);
	assert_int_equal(vfio_place_devices(NULL, NULL, 0, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gpu_and_audio),
		cmocka_unit_test(test_order_does_not_matter),
		cmocka_unit_test(test_without_function_0),
		cmocka_unit_test(test_other_bus_or_domain),
		cmocka_unit_test(test_alone),
		cmocka_unit_test(test_eight_functions),
		cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests_name("vfio place", tests, NULL, NULL);
}
