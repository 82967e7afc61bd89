// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device-registry hooks every virtio device type shares. A device
 * model's struct begins with its struct virtio_dev and is the device's
 * priv, so these work on any of them.
 */
#include <json-c/json.h>
#include <stdio.h>

#include "core/virtio/internal.h"
#include "core/vm/device.h"

static struct virtio_dev *vdev_of(struct device *d)
{
	return d->priv;
}

int virtio_device_attach(struct device *d)
{
	return virtio_pci_attach(vdev_of(d));
}

void virtio_device_stop(struct device *d)
{
	virtio_pci_stop(vdev_of(d));
}

void virtio_device_detach(struct device *d)
{
	virtio_pci_detach(vdev_of(d));
}

/* A status entry: {"type": NAME, "guest-slot": "04.0", ...}, returned so
 * the device adds its own keys. */
struct json_object *virtio_device_status(struct device *d, struct json_object *status)
{
	struct virtio_dev *vdev = vdev_of(d);
	struct json_object *devs, *o;
	char slot[8];

	if (!json_object_object_get_ex(status, "devices", &devs))
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string(d->type->name));
	snprintf(slot, sizeof(slot), "%02x.0", vdev->pci.slot);
	json_object_object_add(o, "guest-slot", json_object_new_string(slot));
	json_object_object_add(o, "driver-ok", json_object_new_boolean(vdev->started));
	json_object_array_add(devs, o);
	return o;
}
