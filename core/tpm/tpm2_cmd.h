/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The few TPM 2.0 commands partvm sends as the platform firmware, and
 * their responses (TPM 2.0 Part 3; marshalled big-endian as Part 1, 18
 * and Part 2 define). Pure functions over byte buffers.
 */
#ifndef PARTVM_TPM_TPM2_CMD_H
#define PARTVM_TPM_TPM2_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "core/tpm/digest.h"

#define TPM2_HEADER_SIZE     10       /* tag (2), size (4), code (4) */

#define TPM_ST_NO_SESSIONS   0x8001
#define TPM_ST_SESSIONS      0x8002
#define TPM_CC_STARTUP       0x00000144
#define TPM_CC_GET_CAPABILITY 0x0000017a
#define TPM_CC_PCR_EXTEND    0x00000182
#define TPM_SU_CLEAR         0x0000
#define TPM_RS_PW            0x40000009
#define TPM_CAP_PCRS         0x00000005
#define TPM_RC_SUCCESS       0x000
#define TPM_RC_INITIALIZE    0x100
#define TPM_RC_COMMAND_SIZE  0x142

/* Big-endian helpers, shared by the CRB and the swtpm channels. */
static inline uint32_t tpm_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void tpm_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The size field of a command or response header (at least 10 bytes). */
static inline uint32_t tpm2_header_size(const uint8_t *hdr)
{
	return tpm_be32(hdr + 2);
}

/* TPM2_Startup(TYPE) into BUF (12 bytes); returns its size. */
size_t tpm2_build_startup(uint8_t *buf, uint16_t type);
/* TPM2_GetCapability(TPM_CAP_PCRS) into BUF (22 bytes); returns its size. */
size_t tpm2_build_get_pcr_banks(uint8_t *buf);
/* TPM2_PCR_Extend(PCR) with an empty password session and one digest per
 * bank (DIGESTS[i] for BANKS->alg[i]). Returns the size, or -ENOSPC. */
int tpm2_build_pcr_extend(uint8_t *buf, size_t cap, uint32_t pcr, const struct tpm_banks *banks,
			  const uint8_t digests[][TPM_MAX_DIGEST]);
/* A response of just a header carrying RC (10 bytes); returns its size. */
size_t tpm2_build_error_response(uint8_t *buf, uint32_t rc);

/* Check that RSP (LEN bytes) is one whole response and give its response
 * code. Returns 0 or -EBADMSG. */
int tpm2_response_code(const uint8_t *rsp, size_t len, uint32_t *rc);
/*
 * The active banks from a successful TPM2_GetCapability(TPM_CAP_PCRS)
 * response: those with at least one PCR allocated. Returns 0, -EBADMSG, or
 * -EOPNOTSUPP with *ALG set to an active bank partvm cannot hash.
 */
int tpm2_parse_pcr_banks(const uint8_t *rsp, size_t len, struct tpm_banks *banks,
			 uint16_t *alg);

#endif
