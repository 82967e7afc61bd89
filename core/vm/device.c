// SPDX-License-Identifier: GPL-2.0-only
/* The device registry: VM devices made from the board's types and their
 * confs, and each lifecycle hook run over all of them in order. */
#include "core/vm/device.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/log.h"
#include "core/vm/config.h"
#include "core/vm/vm.h"

size_t device_conf_count(const struct vm_config *cfg, const struct device_type *type)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->ndevices; i++)
		n += cfg->devices[i].type == type;
	return n;
}

const struct device_conf *device_conf_nth(const struct vm_config *cfg,
					  const struct device_type *type, size_t n)
{
	for (size_t i = 0; i < cfg->ndevices; i++)
		if (cfg->devices[i].type == type && n-- == 0)
			return &cfg->devices[i];
	return NULL;
}

int devices_preflight(const struct vm_config *cfg, struct config_error *err)
{
	err->msg[0] = '\0';
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct device_conf *dc = &cfg->devices[i];
		int r;

		if (dc->type->preflight_usage && (r = dc->type->preflight_usage(dc, cfg, err)) < 0)
			return r;
		if (dc->type->preflight && (r = dc->type->preflight(dc, cfg)) < 0)
			return r;
	}
	return 0;
}

static int add(struct vm *vm, const struct device_type *t, const struct device_conf *dc,
	       unsigned index, bool numbered)
{
	struct device **v = reallocarray(vm->devices, vm->ndevices + 1, sizeof(*v));
	struct device *d;

	if (!v)
		return -ENOMEM;
	vm->devices = v;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->type = t;
	d->vm = vm;
	d->dc = dc;
	d->index = index;
	if (numbered)
		snprintf(d->name, sizeof(d->name), "%s%u", t->name, index);
	else
		snprintf(d->name, sizeof(d->name), "%s", t->name);
	v[vm->ndevices++] = d;
	return 0;
}

/* The devices of T the config asks for, without creating them yet. */
static int add_type(struct vm *vm, const struct device_type *t)
{
	const struct vm_config *cfg = vm->cfg;
	size_t n = device_conf_count(cfg, t);
	unsigned k = 0;
	int r;

	if (n == 0) {
		/* A type that is configured only exists when configured. */
		if (t->section || t->match_section || t->option)
			return 0;
		if (t->wanted && !t->wanted(cfg))
			return 0;
		return add(vm, t, NULL, 0, false);
	}
	for (size_t i = 0; i < cfg->ndevices; i++) {
		if (cfg->devices[i].type != t)
			continue;
		r = add(vm, t, &cfg->devices[i], k, !t->singleton);
		if (r < 0)
			return r;
		k++;
	}
	return 0;
}

int devices_create(struct vm *vm, struct loop *loop)
{
	const struct device_type *const *types = vm->cfg->types;
	int r;

	for (size_t i = 0; types && types[i]; i++) {
		r = add_type(vm, types[i]);
		if (r < 0)
			return log_error_errno(r, "cannot set up the devices: %m");
	}
	for (size_t i = 0; i < vm->ndevices; i++) {
		struct device *d = vm->devices[i];

		if (!d->type->create)
			continue;
		r = d->type->create(d, loop);
		if (r < 0 && d->type->logs_errors)
			return r;
		if (r < 0)
			return log_error_errno(r, "cannot set up %s: %m", d->name);
	}
	return 0;
}

int devices_privileged_done(struct vm *vm)
{
	for (size_t i = 0; i < vm->ndevices; i++) {
		struct device *d = vm->devices[i];
		int r = d->type->privileged_done ? d->type->privileged_done(d) : 0;

		if (r < 0)
			return r;
	}
	return 0;
}

int devices_attach(struct vm *vm)
{
	for (size_t i = 0; i < vm->ndevices; i++) {
		struct device *d = vm->devices[i];
		int r;

		if (!d->type->attach)
			continue;
		r = d->type->attach(d);
		if (r < 0 && d->type->logs_errors)
			return r;
		if (r < 0)
			return log_error_errno(r, "cannot attach %s to the VM: %m", d->name);
	}
	return 0;
}

void devices_stop(struct vm *vm)
{
	for (size_t i = vm->ndevices; i-- > 0;)
		if (vm->devices[i]->type->stop)
			vm->devices[i]->type->stop(vm->devices[i]);
}

void devices_detach(struct vm *vm)
{
	for (size_t i = vm->ndevices; i-- > 0;)
		if (vm->devices[i]->type->detach)
			vm->devices[i]->type->detach(vm->devices[i]);
}

void devices_reset(struct vm *vm)
{
	for (size_t i = 0; i < vm->ndevices; i++)
		if (vm->devices[i]->type->reset)
			vm->devices[i]->type->reset(vm->devices[i]);
}

void devices_free(struct vm *vm)
{
	for (size_t i = vm->ndevices; i-- > 0;) {
		struct device *d = vm->devices[i];

		if (d->type->free)
			d->type->free(d);
		free(d);
	}
	free(vm->devices);
	vm->devices = NULL;
	vm->ndevices = 0;
}

void devices_acpi(struct vm *vm, struct acpi_config *acpi)
{
	for (size_t i = 0; i < vm->ndevices; i++)
		if (vm->devices[i]->type->acpi)
			vm->devices[i]->type->acpi(vm->devices[i], acpi);
}

void devices_status(struct vm *vm, struct json_object *status)
{
	for (size_t i = 0; i < vm->ndevices; i++)
		if (vm->devices[i]->type->status)
			vm->devices[i]->type->status(vm->devices[i], status);
}

int devices_power_button(struct vm *vm)
{
	for (size_t i = 0; i < vm->ndevices; i++)
		if (vm->devices[i]->type->power_button &&
		    vm->devices[i]->type->power_button(vm->devices[i]) == 0)
			return 0;
	return -ENODEV;
}

struct device *device_find(struct vm *vm, const struct device_type *type)
{
	for (size_t i = 0; i < vm->ndevices; i++)
		if (vm->devices[i]->type == type)
			return vm->devices[i];
	return NULL;
}
