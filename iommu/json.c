// SPDX-License-Identifier: GPL-2.0-only
/* The stable JSON shapes of `partvm devices` and `partvm iommu groups`,
 * documented in README.md ("JSON output"). Bump IOMMU_JSON_VERSION on any
 * change that is not a pure addition. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "iommu/iommu_json.h"

static struct json_object *str_or_null(const char *s)
{
	return s && s[0] ? json_object_new_string(s) : NULL;
}

static struct json_object *hex(unsigned v, int digits)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%0*x", digits, v);
	return json_object_new_string(buf);
}

static struct json_object *words(const char *s)
{
	struct json_object *a = json_object_new_array();
	char copy[256], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", s);
	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
		json_object_array_add(a, json_object_new_string(w));
	return a;
}

struct json_object *iommu_device_to_json(const struct iommu_device *d, const struct iommu_record *held)
{
	struct json_object *o = json_object_new_object(), *sriov = NULL, *holder = NULL;

	json_object_object_add(o, "bdf", json_object_new_string(d->bdf));
	json_object_object_add(o, "vendor_id", hex(d->vendor_id, 4));
	json_object_object_add(o, "device_id", hex(d->device_id, 4));
	json_object_object_add(o, "class_id", hex(d->class_code, 6));
	json_object_object_add(o, "vendor", str_or_null(d->vendor));
	json_object_object_add(o, "device", str_or_null(d->device));
	json_object_object_add(o, "class", str_or_null(d->class_name));
	json_object_object_add(o, "iommu_group", d->group >= 0 ? json_object_new_int(d->group) : NULL);
	json_object_object_add(o, "driver", str_or_null(d->driver));
	json_object_object_add(o, "driver_override", str_or_null(d->driver_override));
	json_object_object_add(o, "reset_methods", words(d->reset_methods));
	json_object_object_add(o, "flr", json_object_new_boolean(d->flr));
	json_object_object_add(o, "acs", json_object_new_boolean(d->acs));
	json_object_object_add(o, "bridge", json_object_new_boolean(d->bridge || d->host_bridge));
	if (d->sriov_vf) {
		sriov = json_object_new_object();
		json_object_object_add(sriov, "role", json_object_new_string("vf"));
		json_object_object_add(sriov, "physfn", json_object_new_string(d->physfn));
	} else if (d->sriov_pf) {
		sriov = json_object_new_object();
		json_object_object_add(sriov, "role", json_object_new_string("pf"));
		json_object_object_add(sriov, "num_vfs", json_object_new_int((int)d->num_vfs));
		json_object_object_add(sriov, "total_vfs", json_object_new_int((int)d->total_vfs));
	}
	json_object_object_add(o, "sriov", sriov);
	json_object_object_add(o, "in_use", json_object_new_boolean(d->in_use));
	json_object_object_add(o, "in_use_reason", str_or_null(d->in_use_reason));
	if (held) {
		holder = json_object_new_object();
		json_object_object_add(holder, "partition", str_or_null(held->owner));
		json_object_object_add(holder, "pid", held->pid ? json_object_new_int(held->pid) : NULL);
		json_object_object_add(holder, "original_driver", str_or_null(held->driver));
	}
	json_object_object_add(o, "held_by", holder);
	return o;
}

struct json_object *iommu_group_to_json(int group, const struct iommu_viability *v, const char *vfio_path,
					struct json_object *devices)
{
	struct json_object *o = json_object_new_object(), *blockers = json_object_new_array();

	json_object_object_add(o, "group", json_object_new_int(group));
	json_object_object_add(o, "viable", json_object_new_boolean(v->viable));
	for (size_t i = 0; i < v->nblockers && i < IOMMU_BLOCKERS_MAX; i++) {
		struct json_object *b = json_object_new_object();
		json_object_object_add(b, "bdf", json_object_new_string(v->blockers[i].bdf));
		json_object_object_add(b, "driver", json_object_new_string(v->blockers[i].driver));
		json_object_array_add(blockers, b);
	}
	json_object_object_add(o, "blockers", blockers);
	json_object_object_add(o, "vfio_path", json_object_new_string(vfio_path));
	json_object_object_add(o, "devices", devices);
	return o;
}
