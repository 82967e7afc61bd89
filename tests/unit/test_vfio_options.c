// SPDX-License-Identifier: GPL-2.0-only
/*
 * Passthrough options: [vfio] sections (one device each, managed by
 * default, rom = FILE relative to the config), --vfio on the command line,
 * [sriov "NAME"] pools, memory-backing; every bad value is one line naming
 * the file and line or the option.
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

#include "core/board.h"
#include "vfio/vfio.h"
#include "core/cli/run.h"
#include "core/vm/config.h"

static void test_vfio_sections(void **state)
{
	struct vm_config c;
	struct config_error err = { { 0 } };
	const char *text = "[partition]\n"
			   "name = p1\n"
			   "memory-backing = hugetlb\n"
			   "[vfio]\n"
			   "device = 00:03.0\n"
			   "[vfio]\n"
			   "managed = no\n"
			   "device = 0000:00:12.2\n"
			   "rom = roms/vf.rom\n"
			   "[vfio]\n"
			   "device = 01:00.0\n"
			   "rom = gpu.rom\n"
			   "rom = off\n"
			   "[sriov \"uplink\"]\n"
			   "pf = eth0\n"
			   "mac = 02:00:00:00:01:01\n"
			   "vlan = 0\n";

	config_init(&c, board_device_types);
	assert_int_equal(config_load_string(&c, "/etc/partvm/p1.conf", text, &err), 0);
	assert_int_equal(c.memory_backing, MEMORY_BACKING_HUGETLB);
	assert_int_equal(vfio_conf(&c)->ndevs, 3);
	assert_string_equal(vfio_conf(&c)->devs[0].bdf, "0000:00:03.0");
	assert_true(vfio_conf(&c)->devs[0].managed);
	assert_null(vfio_conf(&c)->devs[0].rom);
	assert_int_equal(vfio_conf(&c)->devs[0].line, 4);
	assert_string_equal(vfio_conf(&c)->devs[1].bdf, "0000:00:12.2");
	assert_false(vfio_conf(&c)->devs[1].managed);
	assert_int_equal(vfio_conf(&c)->devs[1].line, 6);
	assert_false(vfio_conf(&c)->devs[1].rom_off);
	/* rom = off: no ROM for the guest, the earlier file forgotten. */
	assert_true(vfio_conf(&c)->devs[2].rom_off);
	assert_null(vfio_conf(&c)->devs[2].rom);
	assert_int_equal(vfio_conf(&c)->pools.n, 1);
	assert_string_equal(vfio_conf(&c)->pools.v[0].name, "uplink");
	assert_string_equal(vfio_conf(&c)->pools.v[0].pf, "eth0");
	config_free(&c);
}

static void test_rom_relative_to_file(void **state)
{
	char dir[] = "/tmp/vfio-opt-XXXXXX", conf[64], rom[64];
	struct config_error err = { { 0 } };
	struct vm_config c;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/p.conf", dir);
	snprintf(rom, sizeof(rom), "%s/gpu.rom", dir);
	f = fopen(conf, "w");
	fputs("[boot]\nkernel = p.conf\n[vfio]\ndevice = 01:00.0\nrom = gpu.rom\n", f);
	fclose(f);
	config_init(&c, board_device_types);
	assert_int_equal(config_load(&c, conf, &err), 0);
	assert_string_equal(vfio_conf(&c)->devs[0].rom, rom);
	/* The ROM must exist by the time the partition starts. */
	assert_int_equal(config_validate(&c, &err), -ENOENT);
	assert_non_null(strstr(err.msg, ":3: rom '"));
	assert_non_null(strstr(err.msg, "No such file or directory"));
	f = fopen(rom, "w");
	fclose(f);
	assert_int_equal(config_validate(&c, &err), 0);
	config_free(&c);
	unlink(rom);
	unlink(conf);
	rmdir(dir);
}

static void check_bad(const char *text, const char *want)
{
	struct vm_config c;
	struct config_error err = { { 0 } };

	config_init(&c, board_device_types);
	assert_true(config_load_string(&c, "bad.conf", text, &err) < 0);
	if (strcmp(err.msg, want))
		fail_msg("for %s\nwant '%s'\nsaw  '%s'", text, want, err.msg);
	config_free(&c);
}

static void test_bad_sections(void **state)
{
	check_bad("[vfio]\ndevice = 00:1g.0\n",
		  "bad.conf:2: device = '00:1g.0': not a PCI address (DDDD:BB:DD.F or BB:DD.F, e.g. "
		  "0000:00:12.0)");
	check_bad("[vfio]\ndevice = 0000:00:12\n",
		  "bad.conf:2: device = '0000:00:12': not a PCI address (DDDD:BB:DD.F or BB:DD.F, e.g. "
		  "0000:00:12.0)");
	check_bad("[vfio]\ndevice = 00:03.0\ndevice = 00:04.0\n",
		  "bad.conf:3: device = '00:04.0': this [vfio] section already names a device (one "
		  "device per section)");
	check_bad("[vfio]\ndevice = 00:03.0\n[vfio]\ndevice = 0000:00:03.0\n",
		  "bad.conf:4: device = '0000:00:03.0': this device is already passed through");
	check_bad("[partition]\nname = x\n\n[vfio]\nmanaged = no\n",
		  "bad.conf:4: [vfio] section without 'device = BDF'");
	check_bad("[vfio]\ndevice = 00:03.0\nmanaged = sometimes\n",
		  "bad.conf:3: managed = 'sometimes': must be yes or no");
	check_bad("[vfio]\nbdf = 00:03.0\n", "bad.conf:2: unknown key 'bdf' in [vfio] (known: device, managed, rom)");
	check_bad("[partition]\nmemory-backing = thp\n",
		  "bad.conf:2: memory-backing = 'thp': expected anonymous, hugetlb (2 MiB pages) or "
		  "hugetlb-1g");
	check_bad("[sriov \"net\"]\nmac = 02:00:00:00:00:01\n", "bad.conf:2: [sriov \"net\"] has no pf = ...");
}

static void test_command_line(void **state)
{
	char kernel[] = "/tmp/vfio-kernel-XXXXXX";
	struct config_error err = { { 0 } };
	struct vm_config c;
	int fd = mkstemp(kernel);

	close(fd);
	{
		char *argv[] = { "run", "--kernel", kernel, "--vfio", "00:03.0", "--vfio",
				 "0000:00:05.0,managed=no", "--vfio", (char *)"00:12.0,rom=", NULL };
		/* "rom=" with no file is refused. */
		config_init(&c, board_device_types);
		assert_int_equal(run_parse_args(9, argv, &c, &err), -EINVAL);
		assert_string_equal(err.msg, "--vfio 00:12.0,rom=: unknown option (known: managed=yes|no, rom=FILE|off)");
		config_free(&c);
	}
	{
		char spec[64];
		char *argv[] = { "run", "--kernel", kernel, "--vfio", "00:03.0", "--vfio",
				 "0000:00:05.0,managed=no", "--vfio", spec, NULL };

		snprintf(spec, sizeof(spec), "00:12.0,rom=%s", kernel);
		config_init(&c, board_device_types);
		assert_int_equal(run_parse_args(9, argv, &c, &err), 0);
		assert_int_equal(vfio_conf(&c)->ndevs, 3);
		assert_string_equal(vfio_conf(&c)->devs[0].bdf, "0000:00:03.0");
		assert_true(vfio_conf(&c)->devs[0].managed);
		assert_string_equal(vfio_conf(&c)->devs[1].bdf, "0000:00:05.0");
		assert_false(vfio_conf(&c)->devs[1].managed);
		assert_string_equal(vfio_conf(&c)->devs[2].rom, kernel);
		assert_int_equal(vfio_conf(&c)->devs[2].line, 0);
		config_free(&c);
	}
	{
		char *argv[] = { "run", "--kernel", kernel, "--vfio", "00:03.0,rom=off", "--vfio", "00:05.0", NULL };

		config_init(&c, board_device_types);
		assert_int_equal(run_parse_args(7, argv, &c, &err), 0);
		assert_true(vfio_conf(&c)->devs[0].rom_off);
		assert_null(vfio_conf(&c)->devs[0].rom);
		assert_false(vfio_conf(&c)->devs[1].rom_off);
		/* rom = off is not a file to check. */
		assert_int_equal(config_validate(&c, &err), 0);
		config_free(&c);
	}
	{
		char *argv[] = { "run", "--kernel", kernel, "--vfio", "00:03.0", "--vfio", "00:03.0", NULL };

		config_init(&c, board_device_types);
		assert_int_equal(run_parse_args(7, argv, &c, &err), -EINVAL);
		assert_string_equal(err.msg, "--vfio 00:03.0: this device is already passed through");
		config_free(&c);
	}
	{
		char *argv[] = { "run", "--kernel", kernel, "--vfio", "3.0", NULL };

		config_init(&c, board_device_types);
		assert_int_equal(run_parse_args(5, argv, &c, &err), -EINVAL);
		assert_string_equal(err.msg, "--vfio 3.0: not a PCI address (DDDD:BB:DD.F or BB:DD.F, e.g. 0000:00:12.0)");
		config_free(&c);
	}
	unlink(kernel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vfio_sections),
		cmocka_unit_test(test_rom_relative_to_file),
		cmocka_unit_test(test_bad_sections),
		cmocka_unit_test(test_command_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
