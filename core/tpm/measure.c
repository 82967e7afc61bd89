// SPDX-License-Identifier: GPL-2.0-only
#include "core/tpm/measure.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/boot/boot.h"
#include "core/util/cleanup.h"
#include "core/util/gcrypt.h"

#define CMDLINE_PREFIX "kernel_cmdline: "

/* PC Client PFP 10.4.5: the separator's data is a UINT32 of 0. */
static const uint8_t separator[4];

void tpm_measurements_free(struct tpm_measurements *m)
{
	free(m->crtm_version);
	free(m->platform);
	free(m->cmdline);
	free(m->kernel);
	free(m->initrd);
	memset(m, 0, sizeof(*m));
}

/* Append an event whose digests are the hashes of its own data. */
static int add_hashed(struct tpm_measurements *m, uint32_t pcr, uint32_t type,
		      const void *data, size_t len)
{
	struct tpm_event *e = &m->ev[m->n];

	*e = (struct tpm_event){ .pcr = pcr, .type = type, .data = data, .len = (uint32_t)len };
	m->n++;
	return tpm_hash_banks(&m->banks, NULL, data, len, e->digest);
}

/* Append an event with the given data whose digests are those of FILE (or,
 * FILE NULL, of the LEN bytes at IMAGE). */
static int add_file(struct tpm_measurements *m, uint32_t pcr, const char *data,
		    const char *file, const void *image, size_t len)
{
	struct tpm_event *e = &m->ev[m->n];

	*e = (struct tpm_event){ .pcr = pcr, .type = EV_IPL, .data = (const uint8_t *)data,
				 .len = (uint32_t)strlen(data) + 1 };
	m->n++;
	return tpm_hash_banks(&m->banks, file, image, len, e->digest);
}

const char tpm_crtm_version[] = "partvm " PARTVM_VERSION;

/* tpm_crtm_version as NUL-terminated UCS-2 (little-endian), the encoding
 * firmware uses for its S-CRTM version string. */
static int crtm_version(uint8_t **out, size_t *len)
{
	size_t n = sizeof(tpm_crtm_version);          /* with the NUL */
	uint8_t *p = calloc(n, 2);

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		p[2 * i] = (uint8_t)tpm_crtm_version[i];
	*out = p;
	*len = 2 * n;
	return 0;
}

int tpm_measure_boot(const struct vm_config *cfg, const char *devices,
		     const struct boot_loaded *loaded, const struct tpm_banks *banks,
		     struct tpm_measurements *m, const char **file)
{
	const char *cmdline = boot_cmdline(cfg);
	/* One load for every digest below (each hash loads it, cheaply then). */
	_cleanup_(gcrypt_unloadp) struct gcrypt g = { 0 };
	size_t len;
	int r;

	memset(m, 0, sizeof(*m));
	m->banks = *banks;
	*file = NULL;
	r = gcrypt_load(&g);
	if (r < 0) {
		*file = GCRYPT_LIB;
		return r;
	}

	r = crtm_version(&m->crtm_version, &len);
	if (r < 0)
		goto fail;
	r = add_hashed(m, 0, EV_S_CRTM_VERSION, m->crtm_version, len);
	if (r < 0)
		goto fail;

	r = tpm_platform_text(cfg, devices, &m->platform);
	if (r < 0)
		goto fail;
	r = add_hashed(m, 1, EV_PLATFORM_CONFIG_FLAGS, m->platform, (size_t)r);
	if (r < 0)
		goto fail;

	for (uint32_t pcr = 0; pcr <= 7; pcr++) {
		r = add_hashed(m, pcr, EV_SEPARATOR, separator, sizeof(separator));
		if (r < 0)
			goto fail;
	}

	/* PCR8: the digest covers the command line alone. */
	if (asprintf(&m->cmdline, CMDLINE_PREFIX "%s", cmdline) < 0) {
		m->cmdline = NULL;
		r = -ENOMEM;
		goto fail;
	}
	r = add_file(m, 8, m->cmdline, NULL, cmdline, strlen(cmdline));
	if (r < 0)
		goto fail;

	/* PCR9: the kernel (or the embedded test guest), then the initrd: as
	 * loaded when booting, else as the files are now. */
	if (asprintf(&m->kernel, "kernel: %s", cfg->kernel ? cfg->kernel : "embedded test guest") < 0) {
		m->kernel = NULL;
		r = -ENOMEM;
		goto fail;
	}
	if (loaded && loaded->kernel)
		r = add_file(m, 9, m->kernel, NULL, loaded->kernel, loaded->kernel_len);
	else if (loaded)
		r = -ENODATA;        /* a boot that kept nothing to measure */
	else
		r = add_file(m, 9, m->kernel, cfg->kernel, testguest_elf_start,
			     (size_t)(testguest_elf_end - testguest_elf_start));
	if (r < 0) {
		*file = cfg->kernel;
		goto fail;
	}
	if (cfg->initrd) {
		if (asprintf(&m->initrd, "initrd: %s", cfg->initrd) < 0) {
			m->initrd = NULL;
			r = -ENOMEM;
			goto fail;
		}
		if (loaded && loaded->initrd)
			r = add_file(m, 9, m->initrd, NULL, loaded->initrd, loaded->initrd_len);
		else if (loaded)
			r = -ENODATA;
		else
			r = add_file(m, 9, m->initrd, cfg->initrd, NULL, 0);
		if (r < 0) {
			*file = cfg->initrd;
			goto fail;
		}
	}
	return 0;
fail:
	tpm_measurements_free(m);
	return r;
}
