// SPDX-License-Identifier: GPL-2.0-only
/* The config parser and the size parser: values and every error case,
 * each reported as FILE:LINE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/board.h"
#include "core/vm/config.h"
#include "vfio/vfio.h"

static void test_sizes(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "512M", 512ULL << 20 }, { "512m", 512ULL << 20 }, { "2G", 2ULL << 30 },
		{ "4096K", 4ULL << 20 }, { "1T", 1ULL << 40 }, { "256", 256ULL << 20 },
		{ "3GiB", 3ULL << 30 }, { "64MB", 64ULL << 20 }, { "16777216B", 16ULL << 20 },
	};
	static const char *const bad[] = { "", "banana", "12Q", "-1G", "1.5G", "G", " 1G", "1G ", "1GG" };
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(config_parse_size(ok[i].s, &v), 0);
		assert_true(v == ok[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(config_parse_size(bad[i], &v), -EINVAL);
	assert_int_equal(config_parse_size("99999999999999999999", &v), -ERANGE);
	assert_int_equal(config_parse_size("17179869184T", &v), -ERANGE);
}

static void test_bools(void **state)
{
	bool b;

	assert_int_equal(config_parse_bool("yes", &b), 0);
	assert_true(b);
	assert_int_equal(config_parse_bool("Off", &b), 0);
	assert_false(b);
	assert_int_equal(config_parse_bool("maybe", &b), -EINVAL);
}

static void test_good_file(void **state)
{
	struct vm_config c;
	struct config_error err = { { 0 } };
	const char *text = "# a partition\n"
			   "[partition]\n"
			   "name = web-1\n"
			   "memory = 2G\n"
			   "cpus = 4\n"
			   "\n"
			   "[boot]\n"
			   "kernel = /boot/vmlinuz\n"
			   "initrd = initrd.img\n"
			   "cmdline = console=ttyS0 root=/dev/vda ro\n";

	config_init(&c, board_device_types);
	assert_int_equal(config_load_string(&c, "web.conf", text, &err), 0);
	assert_string_equal(c.name, "web-1");
	assert_true(c.memory == 2ULL << 30);
	assert_int_equal(c.cpus, 4);
	assert_string_equal(c.kernel, "/boot/vmlinuz");
	assert_int_equal(c.kernel_line, 8);
	/* From a string there is no directory: relative stays relative. */
	assert_string_equal(c.initrd, "initrd.img");
	assert_string_equal(c.cmdline, "console=ttyS0 root=/dev/vda ro");
	config_free(&c);
}

static void expect_error(const char *text, int err_no, const char *msg)
{
	struct vm_config c;
	struct config_error err = { { 0 } };

	config_init(&c, board_device_types);
	if (config_load_string(&c, "p.conf", text, &err) != err_no)
		fail_msg("no error %d for \"%s\" (message \"%s\")", err_no, text, err.msg);
	if (strcmp(err.msg, msg))
		fail_msg("expected \"%s\", got \"%s\"", msg, err.msg);
	config_free(&c);
}

static void test_errors(void **state)
{
	expect_error("[partition]\nmemory = banana\n", -EINVAL,
		     "p.conf:2: memory = 'banana': not a size (use a number with K, M, G or T, e.g. 512M)");
	expect_error("[partition]\ncpus = 2\n\nmemory = 8M\n", -EINVAL,
		     "p.conf:4: memory = '8M': too small (at least 16M)");
	expect_error("[partition]\nmemory = 0\n", -EINVAL,
		     "p.conf:2: memory = '0': too small (at least 16M)");
	expect_error("[partition]\nmemory = 2T\n", -EINVAL,
		     "p.conf:2: memory = '2T': too large (at most 1T)");
	expect_error("[partition]\nmemory = 16385K\n", -EINVAL,
		     "p.conf:2: memory = '16385K': not a multiple of 4K");
	expect_error("[partition]\ncpus = 0\n", -EINVAL, "p.conf:2: cpus = '0': out of range (1..1024)");
	expect_error("[partition]\ncpus = 100000\n", -EINVAL,
		     "p.conf:2: cpus = '100000': out of range (1..1024)");
	expect_error("[partition]\ncpus = two\n", -EINVAL, "p.conf:2: cpus = 'two': not a number");
	expect_error("[partition]\nname = a b\n", -EINVAL,
		     "p.conf:2: name = 'a b': may only contain letters, digits, '-', '_' and '.'");
	expect_error("[partition]\ncolour = blue\n", -EINVAL, "p.conf:2: unknown key 'colour' in [partition]");
	expect_error("[partition]\nname = x\n[gpu]\nmodel = 1\n", -EINVAL, "p.conf:3: unknown section [gpu]");
	/* A section is seen at its header, even without keys. */
	expect_error("[partition]\nname = x\n[gpu]\n", -EINVAL, "p.conf:3: unknown section [gpu]");
	expect_error("[tpm]\n", -EINVAL, "p.conf:1: [tpm] without 'state = DIR'");
	expect_error("memory = 1G\n", -EINVAL, "p.conf:1: 'memory' is outside any section (start with [partition])");
	expect_error("[partition]\nthis line has no equals sign\n", -EINVAL,
		     "p.conf:2: syntax error (expected [section] or key = value)");
	expect_error("[partition\nname = x\n", -EINVAL,
		     "p.conf:1: syntax error (expected [section] or key = value)");
	expect_error("[boot]\nkernel =\n", -EINVAL, "p.conf:2: kernel = '': empty path");
	/* Only the first error is reported. */
	expect_error("[boot]\nfoo = 1\nbar = 2\n", -EINVAL, "p.conf:2: unknown key 'foo' in [boot]");
}

static void test_long_cmdline(void **state)
{
	struct vm_config c;
	struct config_error err = { { 0 } };
	char *text, *arg = malloc(3001);

	memset(arg, 'x', 3000);
	arg[3000] = '\0';
	assert_true(asprintf(&text, "[boot]\ncmdline = %s\n[partition]\ncpus = 2\n", arg) > 0);
	config_init(&c, board_device_types);
	if (config_load_string(&c, "p.conf", text, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(strlen(c.cmdline), 3000);
	assert_int_equal(c.cpus, 2);
	config_free(&c);
	free(text);
	free(arg);
}

/* A line longer than inih reads at once (64 KiB) is refused as a syntax
 * error on that line, not on a line after it that the file does not have
 * (found by fuzz_config's sibling fuzz_sriov_conf, which shares ini.c). */
static void test_overlong_line(void **state)
{
	char *text, *arg = malloc(70001);

	memset(arg, 'x', 70000);
	arg[70000] = '\0';
	assert_true(asprintf(&text, "[boot]\ncmdline = %s\n", arg) > 0);
	expect_error(text, -EINVAL, "p.conf:2: syntax error (expected [section] or key = value)");
	free(text);
	free(arg);
}

/* A NUL byte in a config file does not hide its line's end: the lines
 * after it keep their numbers in errors (found by fuzz_sriov_conf, whose
 * host config shares core/util/ini.c). */
static void test_nul_byte_line(void **state)
{
	static const char text[] = "[partition]\nname = a\0b\ncpus = 0\n";
	char dir[] = "/tmp/partvm-config-XXXXXX", path[256], want[400];
	struct config_error err = { { 0 } };
	struct vm_config c;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vm.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
	fclose(f);
	config_init(&c, board_device_types);
	assert_int_equal(config_load(&c, path, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: cpus = '0': out of range (1..1024)", path);
	assert_string_equal(err.msg, want);
	config_free(&c);
	unlink(path);
	rmdir(dir);
}

/* A config file on disk: relative paths resolve against its directory, and
 * validation names the file and the line of a missing kernel. */
static void test_file_paths_and_validation(void **state)
{
	char dir[] = "/tmp/partvm-config-XXXXXX", path[256], kernel[256];
	struct vm_config c;
	struct config_error err = { { 0 } };
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vm.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "[partition]\nmemory = 64M\n[boot]\nkernel = vmlinuz\n");
	fclose(f);

	config_init(&c, board_device_types);
	assert_int_equal(config_load(&c, path, &err), 0);
	snprintf(kernel, sizeof(kernel), "%s/vmlinuz", dir);
	assert_string_equal(c.kernel, kernel);
	assert_int_equal(config_validate(&c, &err), -ENOENT);
	{
		char want[600];

		snprintf(want, sizeof(want), "%s:4: kernel '%s': No such file or directory", path, kernel);
		assert_string_equal(err.msg, want);
	}
	f = fopen(kernel, "w");
	fclose(f);
	assert_int_equal(config_validate(&c, &err), 0);
	config_free(&c);

	/* No kernel at all in a config file. */
	f = fopen(path, "w");
	fprintf(f, "[partition]\nmemory = 64M\n");
	fclose(f);
	config_init(&c, board_device_types);
	assert_int_equal(config_load(&c, path, &err), 0);
	assert_int_equal(config_validate(&c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no kernel"));
	assert_true(!strncmp(err.msg, path, strlen(path)));
	config_free(&c);

	unlink(kernel);
	unlink(path);
	rmdir(dir);

	/* A missing config file. */
	config_init(&c, board_device_types);
	assert_int_equal(config_load(&c, "/nonexistent/p.conf", &err), -ENOENT);
	assert_string_equal(err.msg, "/nonexistent/p.conf: cannot open config: No such file or directory");
	config_free(&c);
}

/* The default user comes from a passwd file, not NSS: found with its ids
 * among other entries, absent (in the file, or no file) as -ENOENT, and
 * a malformed line does not stop the search. */
static void test_user_from_passwd(void **state)
{
	char path[] = "/tmp/partvm-passwd-XXXXXX";
	int fd = mkstemp(path);
	struct vm_config c;
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "root:x:0:0:root:/root:/bin/bash\n"
		   "not a passwd line\n"
		   "partvmx:x:998:998::/:/usr/sbin/nologin\n"
		   "partvm:x:999:997:partvm:/nonexistent:/usr/sbin/nologin\n");
	fclose(f);

	config_init(&c, board_device_types);
	assert_int_equal(config_set_user_from_passwd(&c, "partvm", path), 0);
	assert_string_equal(c.user, "partvm");
	assert_int_equal(c.user_uid, 999);
	assert_int_equal(c.user_gid, 997);
	config_free(&c);

	config_init(&c, board_device_types);
	assert_int_equal(config_set_user_from_passwd(&c, "nobody-here", path), -ENOENT);
	assert_null(c.user);
	assert_int_equal(config_set_user_from_passwd(&c, "partvm", "/nonexistent/passwd"), -ENOENT);
	assert_null(c.user);
	config_free(&c);
	unlink(path);
}

/* [partition] hyperv, hypervisor-id and hyperv-vendor-id, and what they
 * come to: the default id follows hyperv. */
static void test_hypervisor_keys(void **state)
{
	struct config_error err = { { 0 } };
	struct kvm_hypervisor h;
	struct vm_config c;

	config_init(&c, board_device_types);
	h = config_hypervisor(&c);
	assert_false(h.hyperv);
	assert_int_equal(h.id, KVM_HYPERVISOR_ID_KVM);
	assert_string_equal(config_hypervisor_id_name(h.id), "kvm");
	assert_int_equal(config_load_string(&c, "p.conf", "[partition]\nhyperv = yes\n", &err), 0);
	h = config_hypervisor(&c);
	assert_true(h.hyperv);
	assert_int_equal(h.id, KVM_HYPERVISOR_ID_HYPERV);
	assert_string_equal(h.vendor, "Microsoft Hv");
	assert_int_equal(config_validate(&c, &err), -EINVAL);      /* only: a file needs a kernel */
	assert_string_equal(err.msg, "p.conf: no kernel (set 'kernel = PATH' or 'firmware = PATH' in [boot], or pass --kernel or --firmware)");
	config_free(&c);

	config_init(&c, board_device_types);
	assert_int_equal(config_load_string(&c, "p.conf", "[partition]\nhyperv = on\nhypervisor-id = hide\n"
					    "hyperv-vendor-id = 1234567890ab\n", &err), 0);
	h = config_hypervisor(&c);
	assert_true(h.hyperv);
	assert_int_equal(h.id, KVM_HYPERVISOR_ID_HIDE);
	assert_string_equal(config_hypervisor_id_name(h.id), "hide");
	assert_string_equal(h.vendor, "1234567890ab");
	assert_int_equal(c.hyperv_line, 2);
	assert_int_equal(c.hypervisor_id_line, 3);
	assert_int_equal(c.hyperv_vendor_id_line, 4);
	config_free(&c);

	config_init(&c, board_device_types);
	assert_int_equal(config_load_string(&c, "p.conf", "[partition]\nhypervisor-id = hide\n", &err), 0);
	h = config_hypervisor(&c);
	assert_false(h.hyperv);
	assert_int_equal(h.id, KVM_HYPERVISOR_ID_HIDE);
	assert_string_equal(h.vendor, "");
	assert_int_equal(config_load_string(&c, "p.conf", "[partition]\nhypervisor-id = kvm\n", &err), 0);
	assert_int_equal(config_hypervisor(&c).id, KVM_HYPERVISOR_ID_KVM);
	config_free(&c);
}

/* TEXT parses, and config_validate() refuses it with MSG. */
static void expect_invalid(const char *text, const char *msg)
{
	struct config_error err = { { 0 } };
	struct vm_config c;

	config_init(&c, board_device_types);
	if (config_load_string(&c, "p.conf", text, &err) != 0)
		fail_msg("\"%s\" did not parse: %s", text, err.msg);
	if (config_validate(&c, &err) != -EINVAL)
		fail_msg("\"%s\" accepted", text);
	if (strcmp(err.msg, msg))
		fail_msg("expected \"%s\", got \"%s\"", msg, err.msg);
	config_free(&c);
}

static void test_hypervisor_errors(void **state)
{
	expect_error("[partition]\nhyperv = maybe\n", -EINVAL, "p.conf:2: hyperv = 'maybe': expected yes or no");
	expect_error("[partition]\nhypervisor-id = xen\n", -EINVAL,
		     "p.conf:2: hypervisor-id = 'xen': expected hide, kvm or hyperv");
	expect_error("[partition]\nhyperv = yes\nhyperv-vendor-id = 1234567890abc\n", -EINVAL,
		     "p.conf:3: hyperv-vendor-id = '1234567890abc': longer than 12 characters (CPUID "
		     "0x40000000 holds 12 bytes)");
	expect_error("[partition]\nhyperv-vendor-id =\n", -EINVAL,
		     "p.conf:2: hyperv-vendor-id = '': empty (without the key it is Microsoft Hv)");
	expect_error("[partition]\nhyperv-vendor-id = Micr\xc3\xb6soft\n", -EINVAL,
		     "p.conf:2: hyperv-vendor-id = 'Micr\xc3\xb6soft': only printable ASCII characters");
	/* Combinations, once every key is known. */
	expect_invalid("[partition]\nhypervisor-id = kvm\nhyperv = yes\n",
		       "p.conf:2: hypervisor-id = kvm with hyperv = yes: the Hyper-V leaves take CPUID "
		       "0x40000000, KVM's place; use hypervisor-id = hyperv (KVM's move to 0x40000100) or hide");
	expect_invalid("[partition]\nname = x\nhypervisor-id = hyperv\n",
		       "p.conf:3: hypervisor-id = hyperv needs hyperv = yes (the Hyper-V leaves it names)");
	expect_invalid("[partition]\nhyperv = no\nhyperv-vendor-id = AuthenticHv\n",
		       "p.conf:3: hyperv-vendor-id needs hyperv = yes (it is the Hyper-V leaves' vendor)");
}

/* The partition configs in configs/ (run from the checkout) load as they
 * are shipped; gpu-desktop.conf's keys all take effect. The files they
 * name are the reader's to make, so only config_load() is run. */
static void test_example_configs(void **state)
{
	glob_t g;
	int loaded = 0;

	assert_int_equal(glob("configs/*.conf", 0, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct config_error err = { { 0 } };
		struct vm_config c;
		char line[256];
		bool partition = false;
		FILE *f = fopen(g.gl_pathv[i], "r");

		assert_non_null(f);
		while (fgets(line, sizeof(line), f))
			partition |= !strncmp(line, "[partition]", 11);
		fclose(f);
		if (!partition)
			continue;   /* host.conf: partvm host apply's */
		config_init(&c, board_device_types);
		if (config_load(&c, g.gl_pathv[i], &err) < 0)
			fail_msg("%s: %s", g.gl_pathv[i], err.msg);
		if (strstr(g.gl_pathv[i], "gpu-desktop")) {
			const struct vfio_conf *v = vfio_conf(&c);

			assert_int_equal(c.cpus, 8);
			assert_int_equal(c.ncpu_affinity, 8);
			assert_int_equal(c.memory_backing, MEMORY_BACKING_HUGETLB);
			assert_true(c.hyperv);
			assert_string_equal(c.hyperv_vendor_id, "0123456789ab");
			assert_int_equal(v->ndevs, 2);
			assert_string_equal(v->devs[0].bdf, "0000:01:00.0");
			assert_non_null(strstr(v->devs[0].rom, "configs/gpu.rom"));
			assert_string_equal(v->devs[1].bdf, "0000:01:00.1");
			assert_null(v->devs[1].rom);
		}
		config_free(&c);
		loaded++;
	}
	globfree(&g);
	assert_true(loaded >= 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hypervisor_keys),
		cmocka_unit_test(test_hypervisor_errors),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_bools),
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_cmdline),
		cmocka_unit_test(test_overlong_line),
		cmocka_unit_test(test_nul_byte_line),
		cmocka_unit_test(test_file_paths_and_validation),
		cmocka_unit_test(test_user_from_passwd),
		cmocka_unit_test(test_example_configs),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
