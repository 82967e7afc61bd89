// SPDX-License-Identifier: GPL-2.0-only
#include "core/tpm/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <string.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/gcrypt.h"

struct alg_info {
	uint16_t alg;
	const char *name;
	unsigned size;
	int gcry;
};

static const struct alg_info algs[] = {
	{ TPM_ALG_SHA1, "sha1", 20, GCRY_MD_SHA1 },
	{ TPM_ALG_SHA256, "sha256", 32, GCRY_MD_SHA256 },
	{ TPM_ALG_SHA384, "sha384", 48, GCRY_MD_SHA384 },
	{ TPM_ALG_SHA512, "sha512", 64, GCRY_MD_SHA512 },
};

static const struct alg_info *find(uint16_t alg)
{
	for (size_t i = 0; i < ARRAY_SIZE(algs); i++)
		if (algs[i].alg == alg)
			return &algs[i];
	return NULL;
}

unsigned tpm_alg_size(uint16_t alg)
{
	const struct alg_info *a = find(alg);

	return a ? a->size : 0;
}

const char *tpm_alg_name(uint16_t alg)
{
	const struct alg_info *a = find(alg);

	return a ? a->name : NULL;
}

int tpm_alg_from_name(const char *name, uint16_t *alg)
{
	for (size_t i = 0; i < ARRAY_SIZE(algs); i++)
		if (!strcmp(name, algs[i].name)) {
			*alg = algs[i].alg;
			return 0;
		}
	return -EINVAL;
}

int tpm_banks_parse(const char *list, struct tpm_banks *banks)
{
	_cleanup_free_ char *copy = strdup(list);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	banks->n = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		uint16_t alg;

		if (tpm_alg_from_name(t, &alg) < 0)
			return -EINVAL;
		for (unsigned i = 0; i < banks->n; i++)
			if (banks->alg[i] == alg)
				return -EINVAL;
		/* Every algorithm is distinct, so ARRAY_SIZE(algs) bounds n. */
		banks->alg[banks->n++] = alg;
	}
	return banks->n ? 0 : -EINVAL;
}

struct md {
	struct gcrypt g;
	gcry_md_hd_t h;
};

static void md_closep(struct md *m)
{
	if (m->h)
		m->g.md_close(m->h);
	gcrypt_unload(&m->g);
}

/* One handle computes every bank's digest of the same bytes. */
static int md_open(const struct tpm_banks *banks, struct md *m)
{
	int r = gcrypt_load(&m->g);

	if (r < 0)
		return r;
	for (unsigned i = 0; i < banks->n; i++) {
		const struct alg_info *a = find(banks->alg[i]);
		gcry_error_t e;

		if (!a)
			return -EOPNOTSUPP;
		e = m->h ? m->g.md_enable(m->h, a->gcry) : m->g.md_open(&m->h, a->gcry, 0);
		if (e)   /* an algorithm this libgcrypt refuses (FIPS mode and SHA-1) */
			return gcry_err_code(e) == GPG_ERR_DIGEST_ALGO ? -EOPNOTSUPP : -ENOMEM;
	}
	return m->h ? 0 : -EINVAL;
}

int tpm_hash(uint16_t alg, const void *data, size_t len, uint8_t *out)
{
	struct tpm_banks one = { .n = 1, .alg = { alg } };
	uint8_t d[1][TPM_MAX_DIGEST];
	int r = tpm_hash_banks(&one, NULL, data, len, d);

	if (r == 0)
		memcpy(out, d[0], tpm_alg_size(alg));
	return r;
}

/* Feed the whole file FD to H. */
static int update_from_file(struct md *m, int fd)
{
	uint8_t buf[65536];

	for (;;) {
		ssize_t got = read(fd, buf, sizeof(buf));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return 0;
		m->g.md_write(m->h, buf, (size_t)got);
	}
}

int tpm_hash_banks(const struct tpm_banks *banks, const char *path, const void *data,
		   size_t len, uint8_t out[][TPM_MAX_DIGEST])
{
	__attribute__((cleanup(md_closep))) struct md m = { 0 };
	_cleanup_close_ int fd = -1;
	int r;

	if (banks->n > TPM_MAX_BANKS)
		return -EINVAL;
	if (path) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
	}
	r = md_open(banks, &m);
	if (r < 0)
		return r;
	if (path) {
		r = update_from_file(&m, fd);
		if (r < 0)
			return r;
	} else {
		m.g.md_write(m.h, data, len);
	}
	for (unsigned i = 0; i < banks->n; i++) {
		const struct alg_info *a = find(banks->alg[i]);
		const unsigned char *d = m.g.md_read(m.h, a->gcry);

		if (!d)
			return -ENOMEM;
		memcpy(out[i], d, a->size);
	}
	return 0;
}

int tpm_extend(uint16_t alg, uint8_t *pcr, const uint8_t *digest)
{
	unsigned size = tpm_alg_size(alg);
	uint8_t buf[2 * TPM_MAX_DIGEST];

	if (!size)
		return -EOPNOTSUPP;
	memcpy(buf, pcr, size);
	memcpy(buf + size, digest, size);
	return tpm_hash(alg, buf, 2 * size, pcr);
}
