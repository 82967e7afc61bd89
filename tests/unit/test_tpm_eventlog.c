// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TCG2 event log: serialization checked byte for byte against a vector
 * built independently from the PC Client PFP layout (Python's struct and
 * hashlib), PCR replay and extend chains against independently computed
 * values in every bank, the parser on malformed and truncated logs, and
 * tpm2-tools' own parser (tpm2_eventlog) replaying a log partvm wrote.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/tpm/digest.h"
#include "core/tpm/eventlog.h"

/* Banks sha1 and sha256; events: PCR0 EV_S_CRTM_VERSION "partvm 1.0"
 * (UCS-2), PCR8 EV_IPL "kernel_cmdline: console=ttyS0" whose digest covers
 * "console=ttyS0" only, PCR4 EV_SEPARATOR. */
static const char vector_hex[] =
	"0000000003000000000000000000000000000000000000000000000025000000"
	"53706563204944204576656e7430330000000000000200020200000004001400"
	"0b002000000000000008000000020000000400f3a6c984f69d6917540f8091c1"
	"8084f4303e135d0b00c7005f98a978ea04b6208887506ccbeb8528b75d25fa36"
	"b2f6a091f13c61641116000000700061007200740076006d00200031002e0030"
	"000000080000000d000000020000000400a39703576e00dc67ed0b002dfd7d43"
	"996715bd2b0b002b98586d9905a605c295d77c61e8cfd2027ae5b8a04eefa901"
	"8436f6ad1142971e0000006b65726e656c5f636d646c696e653a20636f6e736f"
	"6c653d74747953300004000000040000000200000004009069ca78e7450a2851"
	"73431b3e52c5c25299e4730b00df3f619804a92fdb4057192dc43dd748ea778a"
	"dc52bc498ce80524c014b811190400000000000000";

static const struct tpm_banks two_banks = { 2, { TPM_ALG_SHA1, TPM_ALG_SHA256 } };

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = strlen(s) / 2;

	for (size_t i = 0; i < n; i++)
		sscanf(s + 2 * i, "%2hhx", &out[i]);
	return n;
}

static void tohex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* The vector's events, built with partvm's hashing. */
struct sample {
	uint8_t crtm[22];
	struct tpm_event ev[3];
};

static void build_sample(struct sample *s)
{
	static const char version[] = "partvm 1.0";
	static const char cmdline[] = "kernel_cmdline: console=ttyS0";
	static const uint8_t sep[4];

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < sizeof(version); i++)
		s->crtm[2 * i] = (uint8_t)version[i];
	s->ev[0] = (struct tpm_event){ .pcr = 0, .type = EV_S_CRTM_VERSION, .data = s->crtm,
				       .len = sizeof(s->crtm) };
	s->ev[1] = (struct tpm_event){ .pcr = 8, .type = EV_IPL, .data = (const uint8_t *)cmdline,
				       .len = sizeof(cmdline) };
	s->ev[2] = (struct tpm_event){ .pcr = 4, .type = EV_SEPARATOR, .data = sep, .len = 4 };
	assert_int_equal(tpm_hash_banks(&two_banks, NULL, s->crtm, sizeof(s->crtm), s->ev[0].digest), 0);
	assert_int_equal(tpm_hash_banks(&two_banks, NULL, "console=ttyS0", 13, s->ev[1].digest), 0);
	assert_int_equal(tpm_hash_banks(&two_banks, NULL, sep, 4, s->ev[2].digest), 0);
}

static void test_write_matches_vector(void **state)
{
	uint8_t want[512], buf[512];
	struct sample s;
	size_t n = unhex(vector_hex, want);

	(void)state;
	build_sample(&s);
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(tpm_eventlog_write(&two_banks, s.ev, 3, buf, sizeof(buf)), (int)n);
	assert_memory_equal(buf, want, n);
	/* Nothing written past the log. */
	assert_int_equal(buf[n], 0x5a);
	/* One byte short: refused, not truncated. */
	assert_int_equal(tpm_eventlog_write(&two_banks, s.ev, 3, buf, n - 1), -ENOSPC);
	assert_int_equal(tpm_eventlog_write(&two_banks, s.ev, 0, buf, 32), -ENOSPC);
}

static void test_parse_vector(void **state)
{
	uint8_t buf[1024] = { 0 };
	struct tpm_eventlog log;
	const char *why = NULL;
	size_t n = unhex(vector_hex, buf);
	struct sample s;

	(void)state;
	build_sample(&s);
	/* Zero padding after the log, as in the LASA area. */
	assert_int_equal(tpm_eventlog_parse(buf, sizeof(buf), &log, &why), 0);
	assert_int_equal(log.size, n);
	assert_int_equal(log.banks.n, 2);
	assert_int_equal(log.banks.alg[0], TPM_ALG_SHA1);
	assert_int_equal(log.banks.alg[1], TPM_ALG_SHA256);
	assert_int_equal(log.n, 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(log.ev[i].pcr, s.ev[i].pcr);
		assert_int_equal(log.ev[i].type, s.ev[i].type);
		assert_int_equal(log.ev[i].len, s.ev[i].len);
		assert_memory_equal(log.ev[i].data, s.ev[i].data, s.ev[i].len);
		assert_memory_equal(log.ev[i].digest[0], s.ev[i].digest[0], 20);
		assert_memory_equal(log.ev[i].digest[1], s.ev[i].digest[1], 32);
	}
	tpm_eventlog_free(&log);
}

static void check_replay(const struct tpm_event *ev, size_t n, unsigned bank, uint16_t alg,
			 uint32_t pcr, const char *want)
{
	uint8_t v[TPM_MAX_DIGEST];
	char hex[2 * TPM_MAX_DIGEST + 1];

	assert_int_equal(tpm_eventlog_replay(ev, n, bank, alg, pcr, v), 0);
	tohex(v, tpm_alg_size(alg), hex);
	assert_string_equal(hex, want);
}

static void test_replay(void **state)
{
	struct sample s;

	(void)state;
	build_sample(&s);
	check_replay(s.ev, 3, 0, TPM_ALG_SHA1, 0, "581ebf23d7821212d8954e903217fd2341740763");
	check_replay(s.ev, 3, 1, TPM_ALG_SHA256, 0,
		     "bd39bfd6021cdc9413ca231e7856f0e3296dbf35caed5c5a8f61a4fc50ecf996");
	check_replay(s.ev, 3, 0, TPM_ALG_SHA1, 8, "3c731182a3820dd639dafc10b588ed3ed8444daf");
	check_replay(s.ev, 3, 1, TPM_ALG_SHA256, 8,
		     "bbe217b39b278e40dedc042037694bc2a513d9648088146a50b7c2d9c7c6c491");
	check_replay(s.ev, 3, 1, TPM_ALG_SHA256, 4,
		     "3d458cfe55cc03ea1f443f1562beec8df51c75e14a9fcf9a7234a13f198e7969");
	/* A PCR without events keeps its reset value. */
	check_replay(s.ev, 3, 1, TPM_ALG_SHA256, 9,
		     "0000000000000000000000000000000000000000000000000000000000000000");
}

/* H(H(H(0 || H("a")) || H("")) || H("partvm")) in each bank, computed
 * with Python's hashlib. */
static void test_extend_chains(void **state)
{
	static const struct {
		uint16_t alg;
		const char *want;
	} v[] = {
		{ TPM_ALG_SHA1, "09c2551f32697ff7ab50c23ee5124c573331460b" },
		{ TPM_ALG_SHA256, "2bfc509c4c29110b6e51be518b09897fbe4ec1545c5057bc709f4c5b05b1dd00" },
		{ TPM_ALG_SHA384, "73b499601c825c40233e4146e93c4c764bd792df240221db0be68e53808ce8e7"
				  "e481a78bffd3f5ee2213f6f687b8b886" },
		{ TPM_ALG_SHA512, "8fdf4ca0aa1cd69ef246eb7b5bf6da7fe0acf39d935d0d292eef5a137f10ae8c"
				  "b22da547d743b8ebde5cca4571bab117904280798a0d24f1f586675f538bc753" },
	};
	static const char *const data[] = { "a", "", "partvm" };

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		uint8_t pcr[TPM_MAX_DIGEST] = { 0 }, d[TPM_MAX_DIGEST];
		char hex[2 * TPM_MAX_DIGEST + 1];

		for (size_t j = 0; j < 3; j++) {
			assert_int_equal(tpm_hash(v[i].alg, data[j], strlen(data[j]), d), 0);
			assert_int_equal(tpm_extend(v[i].alg, pcr, d), 0);
		}
		tohex(pcr, tpm_alg_size(v[i].alg), hex);
		assert_string_equal(hex, v[i].want);
	}
	assert_int_equal(tpm_extend(0x0012, (uint8_t[64]){ 0 }, (uint8_t[64]){ 0 }), -EOPNOTSUPP);
}

static void test_banks_parse(void **state)
{
	struct tpm_banks b;

	(void)state;
	assert_int_equal(tpm_banks_parse("sha1,sha256,sha384,sha512", &b), 0);
	assert_int_equal(b.n, 4);
	assert_int_equal(b.alg[2], TPM_ALG_SHA384);
	assert_int_equal(tpm_banks_parse("sha256,sha256", &b), -EINVAL);
	assert_int_equal(tpm_banks_parse("md5", &b), -EINVAL);
	assert_int_equal(tpm_banks_parse("", &b), -EINVAL);
	assert_int_equal(tpm_banks_parse(",", &b), -EINVAL);
}

static int parse_bytes(uint8_t *buf, size_t len, const char **why)
{
	struct tpm_eventlog log;
	int r = tpm_eventlog_parse(buf, len, &log, why);

	if (r == 0) {
		/* Whatever parsed lies within the bytes given. */
		assert_true(log.size <= len);
		for (size_t i = 0; i < log.n; i++)
			assert_true(log.ev[i].data >= buf && log.ev[i].data + log.ev[i].len <= buf + len);
		tpm_eventlog_free(&log);
	}
	return r;
}

static void test_parse_malformed(void **state)
{
	uint8_t good[512], buf[512];
	const char *why = NULL;
	size_t n = unhex(vector_hex, good);

	(void)state;
	/* Every truncation either fails cleanly or yields whole events only. */
	for (size_t len = 0; len < n; len++) {
		memcpy(buf, good, len);
		int r = parse_bytes(buf, len, &why);

		assert_true(r == 0 || r == -EBADMSG);
		if (len < 0x45)              /* inside the header event */
			assert_int_equal(r, -EBADMSG);
	}
	/* Not a crypto-agile log. */
	memcpy(buf, good, n);
	buf[32] = 'X';
	assert_int_equal(parse_bytes(buf, n, &why), -EBADMSG);
	assert_non_null(strstr(why, "Spec ID"));
	/* A bank partvm cannot hash (SM3). */
	memcpy(buf, good, n);
	buf[0x3c] = 0x12;
	assert_int_equal(parse_bytes(buf, n, &why), -EOPNOTSUPP);
	/* An event with one digest for two banks. */
	memcpy(buf, good, n);
	buf[0x45 + 8] = 1;
	assert_int_equal(parse_bytes(buf, n, &why), -EBADMSG);
	/* PCR 24 does not exist. */
	memcpy(buf, good, n);
	buf[0x45] = 24;
	assert_int_equal(parse_bytes(buf, n, &why), -EBADMSG);
	/* An event size of 4 GiB. */
	memcpy(buf, good, n);
	memset(buf + n - 8, 0xff, 4);
	assert_int_equal(parse_bytes(buf, n, &why), -EBADMSG);
	/* Garbage after the log, where padding should be. */
	memcpy(buf, good, n);
	memset(buf + n, 0, 16);
	buf[n + 5] = 1;
	assert_int_equal(parse_bytes(buf, n + 16, &why), -EBADMSG);
}

/* tpm2-tools' parser replays a log partvm wrote to partvm's values. */
static void test_tpm2_eventlog_replay(void **state)
{
	char path[] = "/tmp/partvm-test-eventlog.XXXXXX", cmd[128], line[256];
	uint8_t buf[512];
	struct sample s;
	FILE *p;
	int fd, n, found = 0;

	(void)state;
	build_sample(&s);
	n = tpm_eventlog_write(&two_banks, s.ev, 3, buf, sizeof(buf));
	assert_true(n > 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, (size_t)n), n);
	close(fd);
	snprintf(cmd, sizeof(cmd), "tpm2_eventlog %s 2>&1", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		if (strstr(line, "0x581ebf23d7821212d8954e903217fd2341740763") ||
		    strstr(line, "0xbbe217b39b278e40dedc042037694bc2a513d9648088146a50b7c2d9c7c6c491") ||
		    strstr(line, "0x3d458cfe55cc03ea1f443f1562beec8df51c75e14a9fcf9a7234a13f198e7969"))
			found++;
		if (strstr(line, "does not match"))
			fail_msg("tpm2_eventlog: %s", line);
	}
	assert_int_equal(pclose(p), 0);
	unlink(path);
	assert_int_equal(found, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_matches_vector),
		cmocka_unit_test(test_parse_vector),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_extend_chains),
		cmocka_unit_test(test_banks_parse),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_tpm2_eventlog_replay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
