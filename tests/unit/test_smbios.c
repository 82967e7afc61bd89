// SPDX-License-Identifier: GPL-2.0-only
/*
 * The SMBIOS tables as an independent parser reads them: dmidecode
 * --from-dump on the bytes smbios_build() makes (its dump format is the
 * entry point with the table at offset 32, which is how partvm lays them
 * out). The partition's name and UUID in type 1, the virtual-machine bit,
 * the vCPUs in type 4, credentials as type 11 strings (text and Base64,
 * more than 255 of them in two structures), a table that does not fit;
 * the derived UUID (version 5 as Python's uuid5() makes it, stable, the
 * configured one when set; libgcrypt not left mapped); the
 * [credentials] keys, --credential and --credential-file, and their
 * refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/mapped.h"
#include "core/board.h"
#include "core/devices/credentials.h"
#include "core/devices/smbios.h"
#include "core/util/cleanup.h"
#include "core/vm/config.h"

static char dir[] = "/tmp/test-smbios-XXXXXX";

/* dmidecode's reading of BUF (LEN bytes), with ARGS. */
static char *dmidecode(const uint8_t *buf, size_t len, const char *args)
{
	char path[64], cmd[256];
	static char out[1 << 20];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/dump.bin", dir);
	f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "dmidecode --from-dump %s %s 2>&1", path, args);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	assert_int_equal(pclose(f), 0);
	return out;
}

static void expect(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("want '%s' in:\n%s", want, text);
}

static void test_tables(void **state)
{
	static uint8_t buf[32768];
	char *const oem[] = { "io.systemd.credential:foo=bar",
			      "io.systemd.credential.binary:key=AAEC/w==", NULL };
	struct smbios_info in = {
		.vendor = "partvm", .version = "1.2-test", .name = "web", .cpus = 4, .oem = oem,
		.uuid = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x4d, 0xef,
			  0x81, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef },
	};
	ssize_t n = smbios_build(&in, 0, buf, sizeof(buf));
	char *t;

	assert_true(n > 32);
	t = dmidecode(buf, (size_t)n, "");
	expect(t, "SMBIOS 3.2.0 present.");
	expect(t, "Vendor: partvm");
	expect(t, "Version: 1.2-test");
	expect(t, "BIOS characteristics not supported");
	expect(t, "System is a virtual machine");
	expect(t, "Product Name: web");
	expect(t, "Serial Number: web");
	expect(t, "UUID: 12345678-9abc-4def-8123-456789abcdef");
	expect(t, "Core Count: 4");
	expect(t, "Thread Count: 4");
	expect(t, "String 1: io.systemd.credential:foo=bar");
	expect(t, "String 2: io.systemd.credential.binary:key=AAEC/w==");
	expect(t, "End Of Table");
	if (strstr(t, "Invalid") || strstr(t, "Wrong") || strstr(t, "checksum"))
		fail_msg("dmidecode complains:\n%s", t);
	t = dmidecode(buf, (size_t)n, "-s system-uuid");
	assert_string_equal(t, "12345678-9abc-4def-8123-456789abcdef\n");

	/* Too small for it: refused, not cut. */
	assert_int_equal(smbios_build(&in, 0, buf, 200), -ENOSPC);
	/* No empty strings in SMBIOS. */
	in.name = "";
	assert_int_equal(smbios_build(&in, 0, buf, sizeof(buf)), -ENOSPC);
}

static void test_many_strings(void **state)
{
	static uint8_t buf[32768];
	static char s[300][40];
	char *oem[301];
	struct smbios_info in = { .vendor = "partvm", .version = "1", .name = "n", .cpus = 300 };
	ssize_t n;
	char *t;

	for (int i = 0; i < 300; i++) {
		snprintf(s[i], sizeof(s[i]), "io.systemd.credential:c%d=v%d", i, i);
		oem[i] = s[i];
	}
	oem[300] = NULL;
	in.oem = oem;
	n = smbios_build(&in, 0, buf, sizeof(buf));
	assert_true(n > 0);
	t = dmidecode(buf, (size_t)n, "-t 11");
	expect(t, "String 255: io.systemd.credential:c254=v254");
	expect(t, "String 45: io.systemd.credential:c299=v299");
	t = dmidecode(buf, (size_t)n, "-t 4");
	expect(t, "Core Count: 300");
}

static void test_uuid(void **state)
{
	struct vm_config c;
	struct config_error err = { { 0 } };
	uint8_t a[16], b[16];

	config_init(&c, board_device_types);
	assert_int_equal(config_set_string(&c.name, "web"), 0);
	assert_false(lib_mapped("libgcrypt"));
	assert_int_equal(smbios_partition_uuid(&c, a), 0);
	/* Loaded to hash, and gone again: a partition keeps none of it. */
	assert_false(lib_mapped("libgcrypt"));
	/* What Python's uuid.uuid5() makes of partvm's namespace and the name
	 * (uuid5(UUID('6b1d3e52-8a47-4f0c-9e21-5db4730ae89f'), 'web')). */
	assert_memory_equal(a, "\x27\x73\x9e\x9f\x38\x7a\x5d\x2e\x97\xda\xa3\x7c\xfa\x0e\xba\x08", 16);
	assert_int_equal(smbios_partition_uuid(&c, b), 0);
	assert_memory_equal(a, b, 16);           /* stable */
	assert_int_equal(a[6] >> 4, 5);          /* version 5 */
	assert_int_equal(a[8] & 0xc0, 0x80);     /* RFC 4122 variant */
	free(c.name);
	c.name = strdup("db");
	assert_int_equal(smbios_partition_uuid(&c, b), 0);
	assert_memory_not_equal(a, b, 16);       /* another name, another UUID */
	config_free(&c);

	config_init(&c, board_device_types);
	assert_int_equal(config_load_string(&c, "p.conf",
		"[partition]\nuuid = 0F1E2D3C-4B5A-6978-8796-a5b4c3d2e1f0\n", &err), 0);
	assert_int_equal(smbios_partition_uuid(&c, a), 0);
	assert_int_equal(a[0], 0x0f);
	assert_int_equal(a[15], 0xf0);
	config_free(&c);
	config_init(&c, board_device_types);
	assert_true(config_load_string(&c, "p.conf", "[partition]\nuuid = 0f1e2d3c\n", &err) < 0);
	expect(err.msg, "p.conf:2: uuid = '0f1e2d3c': not a UUID");
	config_free(&c);
}

static void expect_config_error(const char *text, const char *want)
{
	struct vm_config c;
	struct config_error err = { { 0 } };
	int r;

	config_init(&c, board_device_types);
	r = config_load_string(&c, "p.conf", text, &err);
	if (r == 0)
		r = config_validate(&c, &err);
	assert_true(r < 0);
	expect(err.msg, want);
	config_free(&c);
}

static void test_credentials(void **state)
{
	struct vm_config c;
	struct config_error err = { { 0 } };
	_cleanup_strv_free_ char **v = NULL;
	char path[64], arg[96], big[64];
	const char *why;
	FILE *f;

	snprintf(path, sizeof(path), "%s/secret", dir);
	f = fopen(path, "we");
	fwrite("\x00\x01\x02\xff", 1, 4, f);
	fclose(f);
	config_init(&c, board_device_types);
	assert_int_equal(config_load_string(&c, "p.conf",
		"[boot]\nkernel = /proc/self/exe\n[credentials]\nfoo = bar baz\npasswd.hashed-password.root = $6$x\n",
		&err), 0);
	assert_int_equal(config_add_option(&c, config_find_type(&c, "credentials"), "late=1", &why), 0);
	snprintf(arg, sizeof(arg), "key=%s", path);
	assert_int_equal(config_add_option(&c, config_find_type(&c, "credential-file"), arg, &why), 0);
	assert_int_equal(config_validate(&c, &err), 0);
	assert_int_equal(credentials_strings(&c, &v), 0);
	assert_string_equal(v[0], "io.systemd.credential:foo=bar baz");
	assert_string_equal(v[1], "io.systemd.credential:passwd.hashed-password.root=$6$x");
	assert_string_equal(v[2], "io.systemd.credential:late=1");
	assert_string_equal(v[3], "io.systemd.credential.binary:key=AAEC/w==");
	assert_null(v[4]);
	/* The same name from the file and the command line. */
	assert_int_equal(config_add_option(&c, config_find_type(&c, "credential-file"),
					   "foo=/etc/hostname", &why), 0);
	assert_int_equal(config_validate(&c, &err), -EEXIST);
	expect(err.msg, "credential 'foo' is given twice");
	assert_int_equal(config_add_option(&c, config_find_type(&c, "credentials"), "novalue", &why),
			 -EINVAL);
	expect(why, "expected NAME=VALUE");
	assert_int_equal(config_add_option(&c, config_find_type(&c, "credential-file"),
					   "x=/nonexistent", &why), -ENOENT);
	config_free(&c);

	expect_config_error("[credentials]\na/b = 1\n", "p.conf:2: credential 'a/b': not a credential name");
	expect_config_error("[credentials]\na = 1\na = 2\n", "p.conf:3: credential 'a': given twice");
	/* A secret's value is not echoed in the refusal. */
	expect_config_error("[credentials]\n.. = hunter2\n", "credential '..'");
	snprintf(big, sizeof(big), "%s/big", dir);
	f = fopen(big, "we");
	for (int i = 0; i < 25 * 1024; i++)
		fputc('x', f);
	fclose(f);
	config_init(&c, board_device_types);
	snprintf(arg, sizeof(arg), "big=%s", big);
	assert_int_equal(config_add_option(&c, config_find_type(&c, "credential-file"), arg, &why),
			 -EINVAL);
	expect(why, "larger than the 24 KiB");
	config_free(&c);
}

static void test_secret_not_echoed(void **state)
{
	struct vm_config c;
	struct config_error err = { { 0 } };

	config_init(&c, board_device_types);
	assert_true(config_load_string(&c, "p.conf", "[credentials]\n.. = hunter2\n", &err) < 0);
	if (strstr(err.msg, "hunter2"))
		fail_msg("the refusal shows the secret: %s", err.msg);
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_many_strings),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_secret_not_echoed),
	};
	int r;

	if (!mkdtemp(dir))
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
	return r;
}
