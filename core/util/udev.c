// SPDX-License-Identifier: GPL-2.0-only
#include "core/util/udev.h"

#include <string.h>

static int lookup(struct udev_api *api)
{
	int r = dynlib_open(UDEV_LIB, &api->lib);

	if (r < 0)
		return r;
	UDEV_CALLS(DYNLIB_LOOKUP)
	return 0;
}

int udev_api_load(struct udev_api *a)
{
	int r;

	memset(a, 0, sizeof(*a));
	r = lookup(a);
	if (r < 0)
		udev_api_unload(a);
	return r;
}

void udev_api_unload(struct udev_api *a)
{
	if (a->lib)
		dlclose(a->lib);
	memset(a, 0, sizeof(*a));
}
