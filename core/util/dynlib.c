// SPDX-License-Identifier: GPL-2.0-only
#include "core/util/dynlib.h"

#include "core/util/log.h"

int dynlib_open(const char *soname, void **lib)
{
	*lib = dlopen(soname, RTLD_NOW | RTLD_GLOBAL);
	if (!*lib) {
		log_debug("%s: %s", soname, dlerror());
		return -ELIBACC;
	}
	return 0;
}

int dynlib_missing(const char *name)
{
	log_debug("%s: not in its library", name);
	return -ELIBACC;
}
