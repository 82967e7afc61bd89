// SPDX-License-Identifier: GPL-2.0-only
#include "core/tpm/platform.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/sysfs.h"
#include "sriov/sriov.h"

#define PLATFORM_TEXT_VERSION 1

int tpm_platform_text(const struct vm_config *cfg, const struct tpm_platform_device *dev,
		      size_t n, char **out)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -ENOMEM;
	fprintf(f, "partvm-platform %d\n", PLATFORM_TEXT_VERSION);
	fprintf(f, "cpus %u\n", cfg->cpus);
	fprintf(f, "memory %llu\n", (unsigned long long)cfg->memory);
	fprintf(f, "tpm crb\n");
	for (size_t i = 0; i < n; i++) {
		if (dev[i].pool)
			fprintf(f, "sriov-pool %s ", *dev[i].pool ? dev[i].pool : "-");
		else
			fprintf(f, "pci ");
		fprintf(f, "%s %04x:%04x\n", dev[i].bdf, dev[i].vendor, dev[i].device);
	}
	if (fclose(f) != 0 || !text) {
		free(text);
		return -ENOMEM;
	}
	*out = text;
	return (int)len;
}

/* "DDDD:BB:DD.F" in lower-case hex, device <= 0x1f, function <= 7. */
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

int tpm_platform_device_read(const char *root, const char *bdf, struct tpm_platform_device *d)
{
	char path[96];
	uint64_t vendor, device;
	int r;

	r = check_bdf(bdf);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", bdf);
	r = sysfs_read_u64(root, path, &vendor);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", bdf);
	r = sysfs_read_u64(root, path, &device);
	if (r < 0)
		return r;
	if (vendor > 0xffff || device > 0xffff)
		return -ERANGE;
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	d->vendor = (uint16_t)vendor;
	d->device = (uint16_t)device;
	d->pool = NULL;
	return 0;
}

/* A pool: its PF's address and the vendor:device its VFs will have. */
static int pool_read(const char *root, const struct sriov_pool_request *req,
		     struct tpm_platform_device *d)
{
	struct sriov_pf pf;
	char path[96], buf[32], *end;
	uint64_t device;
	int r;

	r = sriov_pf_find(root, req->pf, &pf);
	if (r == 0)
		r = tpm_platform_device_read(root, pf.bdf, d);
	if (r < 0)
		return r;
	/* The VFs' device ID; the kernel prints it in hex without "0x". */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/sriov_vf_device", pf.bdf);
	r = sysfs_read(root, path, buf, sizeof(buf));
	if (r < 0)
		return r;
	errno = 0;
	device = strtoull(buf, &end, 16);
	if (errno || end == buf || *end)
		return -EINVAL;
	if (device > 0xffff)
		return -ERANGE;
	d->device = (uint16_t)device;
	d->pool = req->name;
	return 0;
}

int tpm_platform_devices(const char *root, const struct vm_config *cfg,
			 struct tpm_platform_device **out, size_t *n, char *err, size_t errlen)
{
	size_t total = cfg->nvfio + cfg->sriov.n, k = 0;
	struct tpm_platform_device *d;
	int r = 0;

	*out = NULL;
	*n = 0;
	if (!total)
		return 0;
	d = calloc(total, sizeof(*d));
	if (!d)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->nvfio && r == 0; i++, k++) {
		r = tpm_platform_device_read(root, cfg->vfio[i].bdf, &d[k]);
		if (r < 0)
			snprintf(err, errlen, "PCI device %s: %s", cfg->vfio[i].bdf, strerror(-r));
	}
	for (size_t i = 0; i < cfg->sriov.n && r == 0; i++, k++) {
		r = pool_read(root, &cfg->sriov.v[i], &d[k]);
		if (r < 0)
			snprintf(err, errlen, "[sriov \"%s\"] PF %s: %s", cfg->sriov.v[i].name,
				 cfg->sriov.v[i].pf, strerror(-r));
	}
	if (r < 0) {
		free(d);
		return r;
	}
	*out = d;
	*n = total;
	return 0;
}
