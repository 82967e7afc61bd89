// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCR 1 lines of the passthrough (core/tpm/platform.h): one per [vfio]
 * device, its host address and vendor:device, then one per [sriov "NAME"]
 * pool, its name, the PF's address and the vendor:device its VFs have.
 * Which VF a pool hands out varies from start to start, so it is not
 * measured.
 *
 *   pci 0000:03:00.0 8086:10ca
 *   sriov-pool uplink 0000:00:02.0 8086:10ca
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/sysfs.h"
#include "core/vm/device.h"
#include "sriov/sriov.h"
#include "vfio/internal.h"
#include "vfio/vfio.h"

/* "DDDD:BB:DD.F" in lower-case hex, device <= 0x1f, function <= 7: a BDF
 * that cannot walk out of /sys/bus/pci/devices. */
static int check_bdf(const char *bdf)
{
	static const char shape[] = "xxxx:xx:xx.x";
	unsigned dom, bus, devno, fn;

	if (strlen(bdf) != sizeof(shape) - 1)
		return -EINVAL;
	for (size_t i = 0; shape[i]; i++) {
		if (shape[i] != 'x' ? bdf[i] != shape[i] :
		    !isxdigit((unsigned char)bdf[i]) || isupper((unsigned char)bdf[i]))
			return -EINVAL;
	}
	if (sscanf(bdf, "%4x:%2x:%2x.%1x", &dom, &bus, &devno, &fn) != 4 || devno > 0x1f || fn > 7)
		return -EINVAL;
	return 0;
}

int vfio_read_ids(const char *root, const char *bdf, uint16_t *vendor, uint16_t *device)
{
	char path[96];
	uint64_t v, d;
	int r;

	r = check_bdf(bdf);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", bdf);
	r = sysfs_read_u64(root, path, &v);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", bdf);
	r = sysfs_read_u64(root, path, &d);
	if (r < 0)
		return r;
	if (v > 0xffff || d > 0xffff)
		return -ERANGE;
	*vendor = (uint16_t)v;
	*device = (uint16_t)d;
	return 0;
}

/* A pool: its PF's address and vendor, and the device ID of its VFs. */
static int pool_ids(const char *root, const struct sriov_pool_request *req, char *bdf, size_t len,
		    uint16_t *vendor, uint16_t *device)
{
	struct sriov_pf pf;
	char path[96], buf[32], *end;
	uint64_t vf;
	int r;

	r = sriov_pf_find(root, req->pf, &pf);
	if (r == 0)
		r = vfio_read_ids(root, pf.bdf, vendor, device);
	if (r < 0)
		return r;
	/* The VFs' device ID; the kernel prints it in hex without "0x". */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/sriov_vf_device", pf.bdf);
	r = sysfs_read(root, path, buf, sizeof(buf));
	if (r < 0)
		return r;
	errno = 0;
	vf = strtoull(buf, &end, 16);
	if (errno || end == buf || *end)
		return -EINVAL;
	if (vf > 0xffff)
		return -ERANGE;
	snprintf(bdf, len, "%s", pf.bdf);
	*device = (uint16_t)vf;
	return 0;
}

int vfio_measure(const struct device_conf *dc, const char *root, FILE *text, char *err,
		 size_t errlen)
{
	const struct vfio_conf *c = dc->conf;
	uint16_t vendor, device;
	char bdf[SRIOV_BDF_MAX];
	int r;

	for (size_t i = 0; i < c->ndevs; i++) {
		r = vfio_read_ids(root, c->devs[i].bdf, &vendor, &device);
		if (r < 0) {
			snprintf(err, errlen, "PCI device %s: %s", c->devs[i].bdf, strerror(-r));
			return r;
		}
		fprintf(text, "pci %s %04x:%04x\n", c->devs[i].bdf, vendor, device);
	}
	for (size_t i = 0; i < c->pools.n; i++) {
		const struct sriov_pool_request *q = &c->pools.v[i];

		r = pool_ids(root, q, bdf, sizeof(bdf), &vendor, &device);
		if (r < 0) {
			snprintf(err, errlen, "[sriov \"%s\"] PF %s: %s", q->name, q->pf, strerror(-r));
			return r;
		}
		fprintf(text, "sriov-pool %s %s %04x:%04x\n", *q->name ? q->name : "-", bdf, vendor,
			device);
	}
	return 0;
}
