/* SPDX-License-Identifier: GPL-2.0-only */
/* JSON views of devices and groups for the CLI (json-c objects). */
#ifndef PARTVM_IOMMU_JSON_H
#define PARTVM_IOMMU_JSON_H

#include <json-c/json.h>

#include "iommu/iommu.h"

#define IOMMU_JSON_VERSION 1

/* One device; HELD is its bind record or NULL. Caller owns the object. */
struct json_object *iommu_device_to_json(const struct iommu_device *d, const struct iommu_record *held);

/* One group; takes ownership of DEVICES (an array of device objects). */
struct json_object *iommu_group_to_json(int group, const struct iommu_viability *v, const char *vfio_path,
					struct json_object *devices);

#endif
