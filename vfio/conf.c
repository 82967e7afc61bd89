// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a partition passes through, as the config says it: [vfio] sections
 * and --vfio options (one host PCI device each), and [sriov "NAME"] pool
 * sections (sriov/poolconf.c parses their keys). All of them feed the one
 * passthrough component (vfio/vm.c), so the device type is a singleton.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/cleanup.h"
#include "core/vm/config.h"
#include "core/vm/device.h"
#include "iommu/iommu.h"
#include "sriov/sriov.h"
#include "vfio/internal.h"
#include "vfio/vfio.h"

const struct vfio_conf *vfio_conf(const struct vm_config *cfg)
{
	static const struct vfio_conf none;
	const struct device_conf *dc = device_conf_nth(cfg, &vfio_device_type, 0);

	return dc ? dc->conf : &none;
}

static struct vfio_conf_device *add_device(struct vfio_conf *c, int line)
{
	struct vfio_conf_device *v = reallocarray(c->devs, c->ndevs + 1, sizeof(*v));

	if (!v)
		return NULL;
	c->devs = v;
	v = &c->devs[c->ndevs++];
	*v = (struct vfio_conf_device){ .managed = true, .line = line };
	return v;
}

static bool is_vfio_section(const char *section)
{
	return !strcmp(section, "vfio");
}

static bool match_section(const char *section)
{
	char name[SRIOV_NAME_MAX];

	/* A malformed [sriov ...] is still ours, so its error is the pool's. */
	return is_vfio_section(section) || sriov_section_name(section, name, sizeof(name)) != 0;
}

/* A header: each [vfio] is one device; an [sriov] header tells the pool
 * parser that a section starts (a pool written twice is an error). */
static int conf_section(struct config_ctx *ctx, void *conf, const char *section,
			const char **why)
{
	struct vfio_conf *c = conf;

	c->in_vfio = is_vfio_section(section);
	if (c->in_vfio)
		return add_device(c, ctx->header_line) ? 0 : -ENOMEM;
	sriov_pool_config_header(&c->pools);
	return 0;
}

static int set_device(struct vfio_conf *c, struct vfio_conf_device *d, const char *value,
		      const char **why)
{
	char bdf[IOMMU_BDF_LEN];

	if (d->bdf[0]) {
		*why = "this [vfio] section already names a device (one device per section)";
		return -EINVAL;
	}
	if (iommu_parse_bdf(value, bdf) < 0) {
		*why = "not a PCI address (DDDD:BB:DD.F or BB:DD.F, e.g. 0000:00:12.0)";
		return -EINVAL;
	}
	for (size_t i = 0; i < c->ndevs; i++)
		if (!strcmp(c->devs[i].bdf, bdf)) {
			*why = "this device is already passed through";
			return -EEXIST;
		}
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	return 0;
}

/* rom = off (and --vfio BDF,rom=off): no ROM for the guest, an earlier
 * ROM file forgotten. False for any other value, a file (a file named off
 * is ./off). */
static bool set_rom_off(struct vfio_conf_device *d, const char *value)
{
	d->rom_off = !strcmp(value, "off");
	if (d->rom_off) {
		free(d->rom);
		d->rom = NULL;
	}
	return d->rom_off;
}

static int vfio_key(struct config_ctx *ctx, struct vfio_conf *c, const char *key,
		    const char *value, const char **why)
{
	struct vfio_conf_device *d = &c->devs[c->ndevs - 1];

	if (!strcmp(key, "device"))
		return set_device(c, d, value, why);
	if (!strcmp(key, "managed")) {
		if (config_parse_bool(value, &d->managed) < 0) {
			*why = "must be yes or no";
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(key, "rom"))
		return set_rom_off(d, value) ? 0 : config_set_path(ctx, &d->rom, value, why);
	snprintf(ctx->msg, sizeof(ctx->msg),
		 "unknown key '%s' in [vfio] (known: device, managed, rom)", key);
	ctx->whole_msg = true;
	*why = ctx->msg;
	return -ENOENT;
}

static int conf_key(struct config_ctx *ctx, void *conf, const char *section, const char *key,
		    const char *value, const char **why)
{
	struct vfio_conf *c = conf;
	int r;

	if (c->in_vfio)
		return vfio_key(ctx, c, key, value, why);
	r = sriov_pool_config_key(&c->pools, section, key, value, ctx->line, ctx->msg,
				  sizeof(ctx->msg));
	if (r < 0 && r != -ENOMEM) {
		ctx->whole_msg = true;
		*why = ctx->msg;
	}
	return r;
}

static int conf_check(const struct device_conf *dc, const char *file, struct config_error *err)
{
	const struct vfio_conf *c = dc->conf;
	char e[384];
	int r;

	r = sriov_pool_config_check(&c->pools, e, sizeof(e));
	if (r < 0) {
		snprintf(err->msg, sizeof(err->msg), "%s:%s", file, e);
		return r;
	}
	for (size_t i = 0; i < c->ndevs; i++)
		if (!c->devs[i].bdf[0]) {
			snprintf(err->msg, sizeof(err->msg), "%s:%d: [vfio] section without 'device = BDF'",
				 file, c->devs[i].line);
			return -EINVAL;
		}
	return 0;
}

static int conf_validate(const struct device_conf *dc, const struct vm_config *cfg,
			 struct config_error *err)
{
	const struct vfio_conf *c = dc->conf;
	int r;

	for (size_t i = 0; i < c->ndevs; i++) {
		if (!c->devs[i].rom)
			continue;
		r = config_check_readable(cfg, c->devs[i].line, "rom", c->devs[i].rom, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* --vfio BDF[,managed=yes|no][,rom=FILE|off] */
static int conf_option(void *conf, const char *spec, const char **why)
{
	struct vfio_conf *c = conf;
	_cleanup_free_ char *copy = strdup(spec);
	struct vfio_conf_device *d;
	char *save = NULL, *word;
	int r;

	if (!copy)
		return -ENOMEM;
	word = strtok_r(copy, ",", &save);
	if (!word) {
		*why = "needs a PCI address";
		return -EINVAL;
	}
	d = add_device(c, 0);
	if (!d)
		return -ENOMEM;
	r = set_device(c, d, word, why);
	while (r == 0 && (word = strtok_r(NULL, ",", &save))) {
		char *eq = strchr(word, '=');

		if (eq)
			*eq++ = '\0';
		if (eq && !strcmp(word, "managed")) {
			if (config_parse_bool(eq, &d->managed) < 0) {
				*why = "managed must be yes or no";
				r = -EINVAL;
			}
		} else if (eq && !strcmp(word, "rom") && *eq) {
			if (!set_rom_off(d, eq))
				r = config_set_string(&d->rom, eq);
		} else {
			*why = "unknown option (known: managed=yes|no, rom=FILE|off)";
			r = -EINVAL;
		}
	}
	if (r < 0) {
		free(d->rom);
		c->ndevs--;
	}
	return r;
}

static void conf_free(void *conf)
{
	struct vfio_conf *c = conf;

	for (size_t i = 0; i < c->ndevs; i++)
		free(c->devs[i].rom);
	free(c->devs);
	sriov_pool_requests_free(&c->pools);
}

const struct device_type vfio_device_type = {
	.name = "vfio",
	.match_section = match_section,
	.conf_key = conf_key,
	.singleton = true,
	.conf_size = sizeof(struct vfio_conf),
	.conf_section = conf_section,
	.conf_check = conf_check,
	.conf_validate = conf_validate,
	.conf_free = conf_free,
	.option = "vfio",
	.option_arg = "BDF[,managed=no][,rom=FILE|off]",
	.option_help = "pass the host PCI device BDF through (repeatable);\n"
		       "managed: bind it to vfio-pci now, restore it at exit",
	.conf_option = conf_option,
	.measure = vfio_measure,
	.create = vfio_create,
	.privileged_done = vfio_privileged_done,
	.attach = vfio_attach,
	.detach = vfio_detach,
	.free = vfio_free,
	.logs_errors = true,
	.status = vfio_status,
};
