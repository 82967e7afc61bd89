// SPDX-License-Identifier: GPL-2.0-only
#include "core/util/udev.h"

#include <string.h>

#include "core/util/log.h"

static int lookup(struct udev_api *api)
{
	UDEV_CALLS(DYNLIB_LOOKUP)
	return 0;
}

int udev_api_load(struct udev_api *a)
{
	memset(a, 0, sizeof(*a));
	a->lib = dlopen(UDEV_LIB, RTLD_NOW | RTLD_GLOBAL);
	if (!a->lib || lookup(a) < 0) {
		log_debug("%s: %s", UDEV_LIB, a->lib ? "a call is missing" : dlerror());
		udev_api_unload(a);
		return -ELIBACC;
	}
	return 0;
}

void udev_api_unload(struct udev_api *a)
{
	if (a->lib)
		dlclose(a->lib);
	memset(a, 0, sizeof(*a));
}
