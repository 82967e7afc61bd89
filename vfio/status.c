// SPDX-License-Identifier: GPL-2.0-only
/*
 * The passthrough devices in the control socket's `status` reply: each
 * device's address, guest slot, how it came (managed bind, unmanaged, pool
 * VF) and, for a pool VF, its pool and the settings its PF reports now.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "core/vm/vm.h"
#include "sriov/sriov.h"
#include "vfio/internal.h"
#include "core/vm/device.h"
#include "vfio/vfio.h"

static const struct sriov_alloc *find_alloc(const struct vfio *v, const char *bdf)
{
	for (size_t i = 0; i < v->nallocs; i++)
		if (!strcmp(v->allocs[i].vf_bdf, bdf))
			return &v->allocs[i];
	return NULL;
}

/* The VF's settings as its PF reports them over netlink, keyed as in
 * `partvm sriov set`; none when the PF is no network device or the read
 * fails (the reply must not wait on anything slower). */
static struct json_object *vf_settings(const struct vfio *v, const struct sriov_alloc *a)
{
	struct sriov_vf_config c;
	struct sriov_nl *nl = NULL;
	struct sriov_pf pf;
	struct json_object *o;
	char buf[64];
	int r;

	o = json_object_new_object();
	if (sriov_pf_find(v->host.root, a->pf_bdf, &pf) < 0 || !pf.ifindex)
		return o;
	if (sriov_nl_open(&nl) < 0)
		return o;
	r = sriov_nl_read_vf(nl, pf.ifindex, a->vf, &c);
	sriov_nl_close(nl);
	if (r < 0)
		return o;
	for (enum sriov_key k = 0; k < _SRIOV_KEY_MAX; k++)
		if (sriov_format_key(&c, k, buf, sizeof(buf)) == 0)
			json_object_object_add(o, sriov_key_name(k), json_object_new_string(buf));
	return o;
}

void vfio_status(struct device *dev, struct json_object *status)
{
	const struct vfio *v = dev->priv;
	struct json_object *devs;

	if (!json_object_object_get_ex(status, "devices", &devs))
		return;
	for (size_t i = 0; i < v->ndevs; i++) {
		const struct vfio_entry *e = &v->devs[i];
		const struct sriov_alloc *a = e->pool ? find_alloc(v, e->bdf) : NULL;
		struct json_object *d = json_object_new_object();
		char slot[16];

		json_object_object_add(d, "type", json_object_new_string("vfio"));
		json_object_object_add(d, "bdf", json_object_new_string(e->bdf));
		if (e->pci) {
			snprintf(slot, sizeof(slot), "%02x.%u", e->pci->pci.slot, e->pci->pci.fn);
			json_object_object_add(d, "guest-slot", json_object_new_string(slot));
		}
		json_object_object_add(d, "managed", json_object_new_boolean(e->managed || e->pool));
		if (e->orig_driver[0])
			json_object_object_add(d, "host-driver", json_object_new_string(e->orig_driver));
		if (a) {
			struct json_object *vf = vf_settings(v, a);

			json_object_object_add(vf, "pf", json_object_new_string(a->pf_bdf));
			json_object_object_add(vf, "index", json_object_new_int((int)a->vf));
			json_object_object_add(vf, "pool", json_object_new_string(a->section));
			json_object_object_add(d, "vf", vf);
		}
		json_object_array_add(devs, d);
	}
}
