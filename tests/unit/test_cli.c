// SPDX-License-Identifier: GPL-2.0-only
/* `partvm run` argument handling: options over the config file, defaults,
 * and one-line errors. */
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

#include "core/board.h"
#include "core/cli/run.h"
#include "core/vm/config.h"

static char dir[] = "/tmp/partvm-cli-XXXXXX";
static char conf[300], kernel[300];

static int setup(void **state)
{
	FILE *f;

	if (!mkdtemp(dir))
		return -1;
	snprintf(kernel, sizeof(kernel), "%s/vmlinuz", dir);
	snprintf(conf, sizeof(conf), "%s/web.conf", dir);
	f = fopen(kernel, "w");
	fclose(f);
	f = fopen(conf, "w");
	fprintf(f, "[partition]\nmemory = 1G\ncpus = 2\n[boot]\nkernel = vmlinuz\ncmdline = quiet\n");
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	unlink(kernel);
	unlink(conf);
	rmdir(dir);
	return 0;
}

static int parse(struct vm_config *c, struct config_error *err, int argc, ...)
{
	char *argv[16];
	va_list ap;

	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	config_init(c, board_device_types);
	memset(err, 0, sizeof(*err));
	return run_parse_args(argc, argv, c, err);
}

static void test_defaults_embedded_guest(void **state)
{
	struct vm_config c;
	struct config_error err;

	assert_int_equal(parse(&c, &err, 1, "run"), 0);
	assert_null(c.kernel);
	assert_true(c.debug_exit);            /* the test guest always reports */
	assert_true(c.memory == 256ULL << 20);
	assert_int_equal(c.cpus, 1);
	assert_string_equal(c.name, "partvm");
	assert_null(c.cmdline);
	config_free(&c);

	assert_int_equal(parse(&c, &err, 3, "run", "--append", "idle"), 0);
	assert_string_equal(c.cmdline, "idle");
	config_free(&c);
}

static void test_options_override_config(void **state)
{
	struct vm_config c;
	struct config_error err;

	/* Options before or after the file both win over it. */
	assert_int_equal(parse(&c, &err, 6, "run", "--memory", "512M", conf, "--cpus", "4"), 0);
	assert_true(c.memory == 512ULL << 20);
	assert_int_equal(c.cpus, 4);
	assert_string_equal(c.kernel, kernel);
	assert_string_equal(c.cmdline, "quiet");
	assert_string_equal(c.name, "web");   /* from the file name */
	assert_false(c.debug_exit);
	config_free(&c);

	assert_int_equal(parse(&c, &err, 8, "run", conf, "-a", "console=ttyS0", "-n", "db",
			       "--no-reboot", "--debug-exit"), 0);
	assert_string_equal(c.cmdline, "console=ttyS0");
	assert_string_equal(c.name, "db");
	assert_true(c.no_reboot);
	assert_true(c.debug_exit);
	config_free(&c);
}

static void test_linux_default_cmdline(void **state)
{
	struct vm_config c;
	struct config_error err;

	assert_int_equal(parse(&c, &err, 3, "run", "--kernel", kernel), 0);
	assert_string_equal(c.cmdline, "console=ttyS0");
	config_free(&c);
}

static void expect(const char *msg, int argc, ...)
{
	struct vm_config c;
	struct config_error err = { { 0 } };
	char *argv[16];
	va_list ap;
	int r;

	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	config_init(&c, board_device_types);
	r = run_parse_args(argc, argv, &c, &err);
	if (r >= 0)
		fail_msg("no error for %s (expected \"%s\")", argv[1], msg);
	if (!strstr(err.msg, msg))
		fail_msg("expected \"%s\" in \"%s\"", msg, err.msg);
	config_free(&c);
}

static void test_errors(void **state)
{
	expect("--memory 0: too small (at least 16M)", 3, "run", "--memory", "0");
	expect("--memory banana: not a size", 3, "run", "--memory", "banana");
	expect("--cpus 0: out of range (1..1024)", 3, "run", "--cpus", "0");
	expect("--cpus 100000: out of range (1..1024)", 3, "run", "--cpus", "100000");
	expect("unknown option '--frobnicate'", 2, "run", "--frobnicate");
	expect("option '--kernel' needs a value", 2, "run", "--kernel");
	expect("unexpected argument 'b.conf'", 3, "run", "a.conf", "b.conf");
	expect("/nonexistent.conf: cannot open config", 2, "run", "/nonexistent.conf");
	expect("kernel '/nonexistent': No such file or directory", 3, "run", "-k", "/nonexistent");
	expect("--initrd needs --kernel", 3, "run", "--initrd", "/etc/hostname");
}

/* --hyperv, --hypervisor-id and --hyperv-vendor-id, over the file's keys. */
static void test_hypervisor_options(void **state)
{
	struct vm_config c;
	struct config_error err;
	struct kvm_hypervisor h;

	assert_int_equal(parse(&c, &err, 2, "run", "--hyperv"), 0);
	h = config_hypervisor(&c);
	assert_true(h.hyperv);
	assert_int_equal(h.id, KVM_HYPERVISOR_ID_HYPERV);
	assert_string_equal(h.vendor, "Microsoft Hv");
	config_free(&c);

	assert_int_equal(parse(&c, &err, 6, "run", "--hyperv", "--hypervisor-id", "hide",
			       "--hyperv-vendor-id", "AuthenticHv"), 0);
	h = config_hypervisor(&c);
	assert_int_equal(h.id, KVM_HYPERVISOR_ID_HIDE);
	assert_string_equal(h.vendor, "AuthenticHv");
	config_free(&c);

	assert_int_equal(parse(&c, &err, 3, "run", "--hypervisor-id", "hide"), 0);
	h = config_hypervisor(&c);
	assert_false(h.hyperv);
	assert_int_equal(h.id, KVM_HYPERVISOR_ID_HIDE);
	config_free(&c);
}

static void test_hypervisor_option_errors(void **state)
{
	expect("--hypervisor-id xen: expected hide, kvm or hyperv", 3, "run", "--hypervisor-id", "xen");
	expect("--hyperv-vendor-id 1234567890abc: longer than 12 characters (CPUID 0x40000000 holds 12 bytes)",
	       4, "run", "--hyperv", "--hyperv-vendor-id", "1234567890abc");
	expect("hypervisor-id = hyperv needs hyperv = yes", 3, "run", "--hypervisor-id", "hyperv");
	expect("hyperv-vendor-id needs hyperv = yes", 3, "run", "--hyperv-vendor-id", "AuthenticHv");
	expect("hypervisor-id = kvm with hyperv = yes", 4, "run", "--hyperv", "--hypervisor-id", "kvm");
}

static void test_help(void **state)
{
	struct vm_config c;
	struct config_error err;

	assert_int_equal(parse(&c, &err, 2, "run", "--help"), 1);
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_embedded_guest),
		cmocka_unit_test(test_options_override_config),
		cmocka_unit_test(test_linux_default_cmdline),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_hypervisor_options),
		cmocka_unit_test(test_hypervisor_option_errors),
		cmocka_unit_test(test_help),
	};
	return cmocka_run_group_tests_name("cli", tests, setup, teardown);
}
