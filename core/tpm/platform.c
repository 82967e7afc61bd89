// SPDX-License-Identifier: GPL-2.0-only
#include "core/tpm/platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm/config.h"
#include "core/vm/device.h"

#define PLATFORM_TEXT_VERSION 1

int tpm_platform_devices(const char *root, const struct vm_config *cfg, char **out, char *err,
			 size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int r = 0;

	if (!f)
		return -ENOMEM;
	for (size_t t = 0; cfg->types && cfg->types[t] && r == 0; t++) {
		const struct device_type *type = cfg->types[t];

		if (!type->measure)
			continue;
		for (size_t i = 0; i < cfg->ndevices && r == 0; i++)
			if (cfg->devices[i].type == type)
				r = type->measure(&cfg->devices[i], root, f, err, errlen);
	}
	if (fclose(f) != 0 || !text) {
		free(text);
		return r < 0 ? r : -ENOMEM;
	}
	if (r < 0) {
		free(text);
		return r;
	}
	*out = text;
	return 0;
}

int tpm_platform_text(const struct vm_config *cfg, const char *devices, char **out)
{
	struct kvm_hypervisor h = config_hypervisor(cfg);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -ENOMEM;
	fprintf(f, "partvm-platform %d\n", PLATFORM_TEXT_VERSION);
	fprintf(f, "cpus %u\n", cfg->cpus);
	fprintf(f, "memory %llu\n", (unsigned long long)cfg->memory);
	fprintf(f, "tpm crb\n");
	/* Only when set: a partition without these keeps its PCR 1. */
	if (h.hyperv || h.id != KVM_HYPERVISOR_ID_KVM) {
		fprintf(f, "cpuid hypervisor-id=%s hyperv=%d", config_hypervisor_id_name(h.id), h.hyperv);
		if (h.hyperv)
			fprintf(f, " vendor-id=%s", h.vendor);
		fprintf(f, "\n");
	}
	fputs(devices ? devices : "", f);
	if (fclose(f) != 0 || !text) {
		free(text);
		return -ENOMEM;
	}
	*out = text;
	return (int)len;
}
