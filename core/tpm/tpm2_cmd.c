// SPDX-License-Identifier: GPL-2.0-only
#include "core/tpm/tpm2_cmd.h"

#include <errno.h>
#include <string.h>

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void header(uint8_t *buf, uint16_t tag, uint32_t size, uint32_t code)
{
	put_be16(buf, tag);
	tpm_put_be32(buf + 2, size);
	tpm_put_be32(buf + 6, code);
}

size_t tpm2_build_startup(uint8_t *buf, uint16_t type)
{
	header(buf, TPM_ST_NO_SESSIONS, 12, TPM_CC_STARTUP);
	put_be16(buf + 10, type);
	return 12;
}

size_t tpm2_build_get_pcr_banks(uint8_t *buf)
{
	header(buf, TPM_ST_NO_SESSIONS, 22, TPM_CC_GET_CAPABILITY);
	tpm_put_be32(buf + 10, TPM_CAP_PCRS);
	tpm_put_be32(buf + 14, 0);           /* property */
	tpm_put_be32(buf + 18, 1);           /* propertyCount */
	return 22;
}

int tpm2_build_pcr_extend(uint8_t *buf, size_t cap, uint32_t pcr, const struct tpm_banks *banks,
			  const uint8_t digests[][TPM_MAX_DIGEST])
{
	/* Part 1, 18.7: a password session with an empty password is
	 * handle (4), nonce size (2), attributes (1), hmac size (2). */
	size_t len = TPM2_HEADER_SIZE + 4 + 4 + 9 + 4;
	size_t p;

	for (unsigned i = 0; i < banks->n; i++)
		len += 2 + tpm_alg_size(banks->alg[i]);
	if (len > cap)
		return -ENOSPC;
	header(buf, TPM_ST_SESSIONS, (uint32_t)len, TPM_CC_PCR_EXTEND);
	p = TPM2_HEADER_SIZE;
	tpm_put_be32(buf + p, pcr);
	tpm_put_be32(buf + p + 4, 9);        /* authorizationSize */
	tpm_put_be32(buf + p + 8, TPM_RS_PW);
	put_be16(buf + p + 12, 0);           /* nonce */
	buf[p + 14] = 0;                     /* sessionAttributes */
	put_be16(buf + p + 15, 0);           /* hmac: the empty password */
	p += 17;
	tpm_put_be32(buf + p, banks->n);     /* TPML_DIGEST_VALUES */
	p += 4;
	for (unsigned i = 0; i < banks->n; i++) {
		unsigned size = tpm_alg_size(banks->alg[i]);

		put_be16(buf + p, banks->alg[i]);
		memcpy(buf + p + 2, digests[i], size);
		p += 2 + size;
	}
	return (int)p;
}

size_t tpm2_build_error_response(uint8_t *buf, uint32_t rc)
{
	header(buf, TPM_ST_NO_SESSIONS, TPM2_HEADER_SIZE, rc);
	return TPM2_HEADER_SIZE;
}

int tpm2_response_code(const uint8_t *rsp, size_t len, uint32_t *rc)
{
	if (len < TPM2_HEADER_SIZE || tpm2_header_size(rsp) != len)
		return -EBADMSG;
	*rc = tpm_be32(rsp + 6);
	return 0;
}

int tpm2_parse_pcr_banks(const uint8_t *rsp, size_t len, struct tpm_banks *banks,
			 uint16_t *alg)
{
	/* Header, moreData (1), capability (4), TPML_PCR_SELECTION count (4),
	 * then TPMS_PCR_SELECTION: hash (2), sizeofSelect (1), pcrSelect. */
	size_t p = TPM2_HEADER_SIZE + 1 + 4 + 4;
	uint32_t rc, count;

	if (tpm2_response_code(rsp, len, &rc) < 0 || rc != TPM_RC_SUCCESS || len < p ||
	    tpm_be32(rsp + TPM2_HEADER_SIZE + 1) != TPM_CAP_PCRS)
		return -EBADMSG;
	count = tpm_be32(rsp + p - 4);
	banks->n = 0;
	for (uint32_t i = 0; i < count; i++) {
		uint16_t hash;
		uint8_t n, any = 0;

		if (len - p < 3)
			return -EBADMSG;
		hash = be16(rsp + p);
		n = rsp[p + 2];
		p += 3;
		if (len - p < n)
			return -EBADMSG;
		for (unsigned j = 0; j < n; j++)
			any |= rsp[p + j];
		p += n;
		if (!any)
			continue;
		if (!tpm_alg_size(hash)) {
			*alg = hash;
			return -EOPNOTSUPP;
		}
		for (unsigned j = 0; j < banks->n; j++)
			if (banks->alg[j] == hash)
				return -EBADMSG;
		if (banks->n == TPM_MAX_BANKS)
			return -EBADMSG;
		banks->alg[banks->n++] = hash;
	}
	return banks->n ? 0 : -EBADMSG;
}
