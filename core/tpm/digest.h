/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hash algorithms of TPM PCR banks (TPM 2.0 Part 2, 6.3 TPM_ALG_ID),
 * hashing with libgcrypt, and the PCR extend operation
 * (Part 1, 17.2: PCR_new = H(PCR_old || digest)).
 */
#ifndef PARTVM_TPM_DIGEST_H
#define PARTVM_TPM_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define TPM_ALG_SHA1    0x0004
#define TPM_ALG_SHA256  0x000b
#define TPM_ALG_SHA384  0x000c
#define TPM_ALG_SHA512  0x000d

#define TPM_MAX_DIGEST  64        /* SHA-512 */
#define TPM_MAX_BANKS   4         /* the algorithms above */
#define TPM_MAX_PCRS    24        /* PC Client: PCRs 0-23 */

/* The active PCR banks, in the order they appear in the event log. */
struct tpm_banks {
	unsigned n;
	uint16_t alg[TPM_MAX_BANKS];
};

/* Digest size of ALG in bytes, 0 if partvm cannot compute it. */
unsigned tpm_alg_size(uint16_t alg);
/* "sha256" for TPM_ALG_SHA256; NULL if unknown. */
const char *tpm_alg_name(uint16_t alg);
/* Parse "sha1", "sha256"...; returns 0 or -EINVAL. */
int tpm_alg_from_name(const char *name, uint16_t *alg);
/* Parse a comma-separated list ("sha1,sha256") into BANKS: 0 or -EINVAL
 * (unknown name, duplicate, empty). */
int tpm_banks_parse(const char *list, struct tpm_banks *banks);

/* OUT = ALG(DATA). Returns 0, -EOPNOTSUPP (unknown ALG) or -ENOMEM. */
int tpm_hash(uint16_t alg, const void *data, size_t len, uint8_t *out);

/* Hash the whole file PATH (or, with PATH NULL, the LEN bytes at DATA) with
 * every bank's algorithm in one pass: OUT[i] for BANKS->alg[i]. Returns 0 or
 * a negative errno (the file cannot be opened or read). */
int tpm_hash_banks(const struct tpm_banks *banks, const char *path, const void *data,
		   size_t len, uint8_t out[][TPM_MAX_DIGEST]);

/* PCR = ALG(PCR || DIGEST), both of ALG's size. Returns 0 or a negative errno. */
int tpm_extend(uint16_t alg, uint8_t *pcr, const uint8_t *digest);

#endif
