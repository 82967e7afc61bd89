/* SPDX-License-Identifier: GPL-2.0-only */
/* libgcrypt, loaded (dlopen) by whoever hashes, for as long as it hashes. */
#ifndef PARTVM_UTIL_GCRYPT_H
#define PARTVM_UTIL_GCRYPT_H

#include <gcrypt.h>

/* Debian's libgcrypt20: the soname partvm is compiled against. */
#define GCRYPT_LIB "libgcrypt.so.20"

/* The calls partvm makes, from one load. A partition hashes at start (its
 * SMBIOS UUID, the vTPM's first measurements) and, with a vTPM, at every
 * reset; without one it need not keep libgcrypt's ~0.9 MiB of mapped
 * pages (and libgpg-error's) for its life. */
struct gcrypt {
	void *lib;
	typeof(&gcry_md_open) md_open;
	typeof(&gcry_md_enable) md_enable;
	typeof(&gcry_md_write) md_write;
	typeof(&gcry_md_read) md_read;
	typeof(&gcry_md_close) md_close;
	typeof(&gcry_md_hash_buffer) md_hash_buffer;
};

/* Load libgcrypt (made ready on its first load: version checked, no secure
 * memory, since nothing partvm hashes is secret) and fill G. Loads nest:
 * the library is unmapped at the last gcrypt_unload(), so a holder keeps
 * it for later loads that must not open files (under a seccomp filter).
 * -ELIBACC when it cannot be loaded. */
int gcrypt_load(struct gcrypt *g);
void gcrypt_unload(struct gcrypt *g);

static inline void gcrypt_unloadp(struct gcrypt *g)
{
	gcrypt_unload(g);
}

#endif
