// SPDX-License-Identifier: GPL-2.0-only
#include "core/tpm/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "core/util/cleanup.h"

struct alg_info {
	uint16_t alg;
	const char *name;
	unsigned size;
	const EVP_MD *(*md)(void);
};

static const struct alg_info algs[] = {
	{ TPM_ALG_SHA1, "sha1", 20, EVP_sha1 },
	{ TPM_ALG_SHA256, "sha256", 32, EVP_sha256 },
	{ TPM_ALG_SHA384, "sha384", 48, EVP_sha384 },
	{ TPM_ALG_SHA512, "sha512", 64, EVP_sha512 },
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

int tpm_hash(uint16_t alg, const void *data, size_t len, uint8_t *out)
{
	const struct alg_info *a = find(alg);

	if (!a)
		return -EOPNOTSUPP;
	if (!EVP_Digest(data, len, out, NULL, a->md(), NULL))
		return -ENOMEM;
	return 0;
}

/* Feed the whole file FD to every context. */
static int update_from_file(EVP_MD_CTX **ctx, unsigned n, int fd)
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
		for (unsigned i = 0; i < n; i++)
			if (!EVP_DigestUpdate(ctx[i], buf, (size_t)got))
				return -ENOMEM;
	}
}

int tpm_hash_banks(const struct tpm_banks *banks, const char *path, const void *data,
		   size_t len, uint8_t out[][TPM_MAX_DIGEST])
{
	EVP_MD_CTX *ctx[TPM_MAX_BANKS] = { NULL };
	_cleanup_close_ int fd = -1;
	int r = 0;

	if (banks->n > TPM_MAX_BANKS)
		return -EINVAL;
	if (path) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
	}
	for (unsigned i = 0; i < banks->n; i++) {
		const struct alg_info *a = find(banks->alg[i]);

		if (!a) {
			r = -EOPNOTSUPP;
			goto out;
		}
		ctx[i] = EVP_MD_CTX_new();
		if (!ctx[i] || !EVP_DigestInit_ex(ctx[i], a->md(), NULL)) {
			r = -ENOMEM;
			goto out;
		}
		if (!path && !EVP_DigestUpdate(ctx[i], data, len)) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (path) {
		r = update_from_file(ctx, banks->n, fd);
		if (r < 0)
			goto out;
	}
	for (unsigned i = 0; i < banks->n; i++)
		if (!EVP_DigestFinal_ex(ctx[i], out[i], NULL)) {
			r = -ENOMEM;
			goto out;
		}
out:
	for (unsigned i = 0; i < banks->n; i++)
		EVP_MD_CTX_free(ctx[i]);
	return r;
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
