/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A library loaded when needed (dlopen with RTLD_GLOBAL) instead of linked:
 * a table of its calls, one typed field per name, filled from the process's
 * global scope, where a program that defines a name itself (a unit test's
 * fake) comes first. CALLS is an X-macro listing the names:
 *
 *	#define FOO_CALLS(X) X(foo_open) X(foo_close)
 *	struct foo_api { void *lib; FOO_CALLS(DYNLIB_FIELD) };
 *	...
 *	FOO_CALLS(DYNLIB_LOOKUP)        // in a function returning int, with a
 *	                                // struct foo_api *api in scope
 */
#ifndef PARTVM_UTIL_DYNLIB_H
#define PARTVM_UTIL_DYNLIB_H

#include <dlfcn.h>
#include <errno.h>

/* SONAME into the global scope (RTLD_NOW | RTLD_GLOBAL), its handle into
 * *LIB; -ELIBACC when it cannot be loaded, with dlerror()'s reason in the
 * debug log. */
int dynlib_open(const char *soname, void **lib);
/* -ELIBACC, with NAME in the debug log: a call missing from its library. */
int dynlib_missing(const char *name);

#define DYNLIB_FIELD(name) typeof(&name) name;

/* Fills api->NAME, or returns -ELIBACC from the enclosing function. */
#define DYNLIB_LOOKUP(name) \
	if (!(api->name = (typeof(api->name))dlsym(RTLD_DEFAULT, #name))) \
		return dynlib_missing(#name);

#endif
