// SPDX-License-Identifier: GPL-2.0-only
/* The passthrough devices in the control socket's `status` reply. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "core/vm/device.h"
#include "core/vm/vm.h"
#include "tests/unit/fake_vm.h"
#include "vfio/internal.h"
#include "vfio/vfio.h"

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}

static void test_devices(void **state)
{
	struct vfio_pci pci = { 0 }, audio = { 0 };
	struct vfio_entry devs[3] = { 0 };
	struct sriov_alloc alloc = { 0 };
	struct vfio v = { 0 };
	struct json_object *status, *list, *d, *vf;
	struct vm_config cfg;
	struct vm vm;

	fake_vm_init(&vm, &cfg, "web", 1);
	/* A managed device the guest has in slot 3, and a pool VF. The
	 * root has no such PF, so the VF's settings are empty, not made up. */
	snprintf(v.host.root, sizeof(v.host.root), "/nonexistent");
	snprintf(devs[0].bdf, sizeof(devs[0].bdf), "0000:00:03.0");
	devs[0].managed = true;
	snprintf(devs[0].orig_driver, sizeof(devs[0].orig_driver), "nvme");
	pci.pci.slot = 3;
	devs[0].pci = &pci;
	/* Function 1 of the same host device, beside it in slot 3. */
	snprintf(devs[2].bdf, sizeof(devs[2].bdf), "0000:00:03.1");
	devs[2].managed = true;
	audio.pci.slot = 3;
	audio.pci.fn = 1;
	devs[2].pci = &audio;
	snprintf(devs[1].bdf, sizeof(devs[1].bdf), "0000:00:12.2");
	devs[1].pool = true;
	snprintf(alloc.vf_bdf, sizeof(alloc.vf_bdf), "0000:00:12.2");
	snprintf(alloc.pf_bdf, sizeof(alloc.pf_bdf), "0000:00:02.0");
	snprintf(alloc.section, sizeof(alloc.section), "uplink");
	alloc.vf = 1;
	v.devs = devs;
	v.ndevs = 3;
	v.allocs = &alloc;
	v.nallocs = 1;
	v.vm = &vm;

	/* The device's status hook, as the control socket's status runs it. */
	struct device dev = { .type = &vfio_device_type, .vm = &vm, .priv = &v };
	struct device *list_of_one[1] = { &dev };

	vm.devices = list_of_one;
	vm.ndevices = 1;
	status = json_object_new_object();
	json_object_object_add(status, "devices", json_object_new_array());
	devices_status(&vm, status);
	assert_true(json_object_object_get_ex(status, "devices", &list));
	assert_int_equal(json_object_array_length(list), 3);

	d = json_object_array_get_idx(list, 0);
	assert_string_equal(get_str(d, "type"), "vfio");
	assert_string_equal(get_str(d, "bdf"), "0000:00:03.0");
	assert_string_equal(get_str(d, "guest-slot"), "03.0");
	assert_string_equal(get_str(d, "managed"), "true");
	assert_string_equal(get_str(d, "host-driver"), "nvme");
	assert_false(json_object_object_get_ex(d, "vf", NULL));

	d = json_object_array_get_idx(list, 1);
	assert_string_equal(get_str(d, "bdf"), "0000:00:12.2");
	assert_null(get_str(d, "guest-slot"));
	assert_true(json_object_object_get_ex(d, "vf", &vf));
	assert_string_equal(get_str(vf, "pf"), "0000:00:02.0");
	assert_string_equal(get_str(vf, "index"), "1");
	assert_string_equal(get_str(vf, "pool"), "uplink");
	assert_null(get_str(vf, "mac"));

	d = json_object_array_get_idx(list, 2);
	assert_string_equal(get_str(d, "bdf"), "0000:00:03.1");
	assert_string_equal(get_str(d, "guest-slot"), "03.1");

	json_object_put(status);
	vm.devices = NULL;
	vm.ndevices = 0;
	fake_vm_free(&vm, &cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_devices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
