// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TPM 2.0 commands partvm sends as firmware, byte for byte as TPM 2.0
 * Part 3 lays them out, and the parsing of the TPM's answers (response
 * codes, the active PCR banks) including malformed ones.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/tpm/tpm2_cmd.h"

static void test_startup(void **state)
{
	static const uint8_t want[] = {
		0x80, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x01, 0x44, 0x00, 0x00,
	};
	uint8_t buf[32];

	(void)state;
	assert_int_equal(tpm2_build_startup(buf, TPM_SU_CLEAR), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_get_pcr_banks(void **state)
{
	static const uint8_t want[] = {
		0x80, 0x01, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x01, 0x7a,
		0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	};
	uint8_t buf[32];

	(void)state;
	assert_int_equal(tpm2_build_get_pcr_banks(buf), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_pcr_extend(void **state)
{
	static const uint8_t want[] = {
		0x80, 0x02, 0x00, 0x00, 0x00, 0x57, 0x00, 0x00, 0x01, 0x82,
		0x00, 0x00, 0x00, 0x08,                         /* PCR 8 */
		0x00, 0x00, 0x00, 0x09,                         /* authorizationSize */
		0x40, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, /* TPM_RS_PW */
		0x00, 0x00, 0x00, 0x02,                         /* two digests */
		0x00, 0x04, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
		0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
		0x00, 0x0b, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
		0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
		0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	};
	const struct tpm_banks banks = { 2, { TPM_ALG_SHA1, TPM_ALG_SHA256 } };
	uint8_t d[2][TPM_MAX_DIGEST], buf[128];

	(void)state;
	memset(d[0], 0x11, sizeof(d[0]));
	memset(d[1], 0x22, sizeof(d[1]));
	assert_int_equal(tpm2_build_pcr_extend(buf, sizeof(buf), 8, &banks,
					       (const uint8_t (*)[TPM_MAX_DIGEST])d), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(tpm2_header_size(buf), sizeof(want));
	assert_int_equal(tpm2_build_pcr_extend(buf, sizeof(want) - 1, 8, &banks,
					       (const uint8_t (*)[TPM_MAX_DIGEST])d), -ENOSPC);
}

static void test_response_code(void **state)
{
	uint8_t rsp[16];
	uint32_t rc = 0;

	(void)state;
	assert_int_equal(tpm2_build_error_response(rsp, TPM_RC_INITIALIZE), 10);
	assert_int_equal(tpm2_response_code(rsp, 10, &rc), 0);
	assert_int_equal(rc, TPM_RC_INITIALIZE);
	/* The header's size must be the length received. */
	assert_int_equal(tpm2_response_code(rsp, 11, &rc), -EBADMSG);
	assert_int_equal(tpm2_response_code(rsp, 9, &rc), -EBADMSG);
}

/* A GetCapability(TPM_CAP_PCRS) answer with the given selections. */
static size_t pcrs_response(uint8_t *buf, const uint8_t *sel, size_t sel_len, uint32_t count)
{
	size_t len = 10 + 1 + 4 + 4 + sel_len;

	tpm2_build_error_response(buf, TPM_RC_SUCCESS);
	tpm_put_be32(buf + 2, (uint32_t)len);
	buf[10] = 0;                                   /* moreData */
	tpm_put_be32(buf + 11, TPM_CAP_PCRS);
	tpm_put_be32(buf + 15, count);
	memcpy(buf + 19, sel, sel_len);
	return len;
}

static void test_pcr_banks(void **state)
{
	/* swtpm after swtpm_setup --pcr-banks sha256: all four listed, only
	 * sha256 allocated. */
	static const uint8_t sha256_only[] = {
		0x00, 0x04, 3, 0x00, 0x00, 0x00,
		0x00, 0x0b, 3, 0xff, 0xff, 0xff,
		0x00, 0x0c, 3, 0x00, 0x00, 0x00,
		0x00, 0x0d, 3, 0x00, 0x00, 0x00,
	};
	static const uint8_t sha1_sha384[] = {
		0x00, 0x04, 3, 0x01, 0x00, 0x00,
		0x00, 0x0c, 3, 0x00, 0x00, 0x80,
	};
	static const uint8_t sm3[] = { 0x00, 0x12, 3, 0xff, 0xff, 0xff };
	static const uint8_t none[] = { 0x00, 0x0b, 3, 0x00, 0x00, 0x00 };
	uint8_t buf[64];
	struct tpm_banks b;
	uint16_t alg = 0;
	size_t len;

	(void)state;
	len = pcrs_response(buf, sha256_only, sizeof(sha256_only), 4);
	assert_int_equal(tpm2_parse_pcr_banks(buf, len, &b, &alg), 0);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.alg[0], TPM_ALG_SHA256);

	len = pcrs_response(buf, sha1_sha384, sizeof(sha1_sha384), 2);
	assert_int_equal(tpm2_parse_pcr_banks(buf, len, &b, &alg), 0);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.alg[0], TPM_ALG_SHA1);
	assert_int_equal(b.alg[1], TPM_ALG_SHA384);

	len = pcrs_response(buf, sm3, sizeof(sm3), 1);
	assert_int_equal(tpm2_parse_pcr_banks(buf, len, &b, &alg), -EOPNOTSUPP);
	assert_int_equal(alg, 0x0012);

	len = pcrs_response(buf, none, sizeof(none), 1);
	assert_int_equal(tpm2_parse_pcr_banks(buf, len, &b, &alg), -EBADMSG);

	/* A count larger than what follows, or a selection running off. */
	len = pcrs_response(buf, sha256_only, sizeof(sha256_only), 5);
	assert_int_equal(tpm2_parse_pcr_banks(buf, len, &b, &alg), -EBADMSG);
	len = pcrs_response(buf, sha256_only, 5, 1);
	assert_int_equal(tpm2_parse_pcr_banks(buf, len, &b, &alg), -EBADMSG);
	/* An error response. */
	tpm2_build_error_response(buf, TPM_RC_INITIALIZE);
	assert_int_equal(tpm2_parse_pcr_banks(buf, 10, &b, &alg), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_startup),
		cmocka_unit_test(test_get_pcr_banks),
		cmocka_unit_test(test_pcr_extend),
		cmocka_unit_test(test_response_code),
		cmocka_unit_test(test_pcr_banks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
