// SPDX-License-Identifier: GPL-2.0-only
#include "core/util/gcrypt.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>

/* libgcrypt's initialization allocates state for the process's life and
 * never frees it; unloaded, the library leaves it behind (192 bytes, once
 * per load that initializes: not a growing leak, since a partition loads
 * it once, or holds it). LeakSanitizer is told to ignore those blocks
 * only, not the library's later allocations. */
#if defined(__SANITIZE_ADDRESS__)
#define GCRYPT_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GCRYPT_LSAN 1
#endif
#endif
#ifdef GCRYPT_LSAN
#include <sanitizer/lsan_interface.h>
#define lsan_ignore_begin() __lsan_disable()
#define lsan_ignore_end() __lsan_enable()
#else
#define lsan_ignore_begin() ((void)0)
#define lsan_ignore_end() ((void)0)
#endif

#define SYM(g, field, name) ((g)->field = (typeof((g)->field))dlsym((g)->lib, name))

int gcrypt_load(struct gcrypt *g)
{
	typeof(&gcry_check_version) check_version;
	typeof(&gcry_control) control;

	memset(g, 0, sizeof(*g));
	g->lib = dlopen(GCRYPT_LIB, RTLD_NOW | RTLD_LOCAL);
	if (!g->lib)
		return -ELIBACC;
	check_version = (typeof(check_version))dlsym(g->lib, "gcry_check_version");
	control = (typeof(control))dlsym(g->lib, "gcry_control");
	if (!check_version || !control || !SYM(g, md_open, "gcry_md_open") ||
	    !SYM(g, md_enable, "gcry_md_enable") || !SYM(g, md_write, "gcry_md_write") ||
	    !SYM(g, md_read, "gcry_md_read") || !SYM(g, md_close, "gcry_md_close") ||
	    !SYM(g, md_hash_buffer, "gcry_md_hash_buffer")) {
		gcrypt_unload(g);
		return -ELIBACC;
	}
	/* Once per load of the library (another user in this process, such
	 * as libsystemd, may have done it). */
	if (!control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		lsan_ignore_begin();
		check_version(NULL);
		control(GCRYCTL_DISABLE_SECMEM, 0);
		control(GCRYCTL_INITIALIZATION_FINISHED, 0);
		lsan_ignore_end();
	}
	return 0;
}

void gcrypt_unload(struct gcrypt *g)
{
	if (g->lib)
		dlclose(g->lib);
	memset(g, 0, sizeof(*g));
}
