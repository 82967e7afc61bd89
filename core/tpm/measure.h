/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What partvm measures as the platform firmware of a partition, computed
 * from its configuration alone, so that `partvm run` (which extends the
 * PCRs and writes the log) and `partvm tpm predict` (which replays it) use
 * the very same events. In log order (PC Client PFP event types):
 *
 *   PCR0 EV_S_CRTM_VERSION         "partvm VERSION" in UCS-2 with its NUL
 *   PCR1 EV_PLATFORM_CONFIG_FLAGS  the platform text (core/tpm/platform.h)
 *   PCR0-7 EV_SEPARATOR            4 zero bytes each
 *   PCR8 EV_IPL                    the kernel command line
 *   PCR9 EV_IPL                    the kernel file, then the initrd file
 *
 * Each digest is the bank's hash of the event data, except PCR8 and PCR9:
 * PCR8's digest is the hash of the exact command-line bytes the kernel gets
 * (without a NUL), its data "kernel_cmdline: " CMDLINE NUL as GRUB writes
 * it; PCR9's digests are the hashes of the kernel and initrd files' bytes
 * (at boot: the bytes that were loaded), the data "kernel: PATH" /
 * "initrd: PATH" with a NUL.
 */
#ifndef PARTVM_TPM_MEASURE_H
#define PARTVM_TPM_MEASURE_H

#include <stddef.h>

#include "core/boot/boot.h"
#include "core/vm/config.h"
#include "core/tpm/eventlog.h"
#include "core/tpm/platform.h"

#define TPM_MEASURE_MAX_EVENTS 13

/* The S-CRTM version PCR0 gets: "partvm " and the version this object was
 * built with. */
extern const char tpm_crtm_version[];

struct tpm_measurements {
	struct tpm_banks banks;
	size_t n;
	struct tpm_event ev[TPM_MEASURE_MAX_EVENTS];
	/* What the events' data point to. */
	uint8_t *crtm_version;
	char *platform, *cmdline, *kernel, *initrd;
};

/*
 * Compute the boot's events for CFG, its devices' PCR 1 lines DEVICES
 * (tpm_platform_devices()), and BANKS. PCR 9 hashes LOADED's bytes (what a
 * boot loaded) or, LOADED NULL, reads the kernel and initrd files (a
 * prediction). Returns 0 or a negative errno with *FILE set to the kernel or
 * initrd that could not be read.
 */
int tpm_measure_boot(const struct vm_config *cfg, const char *devices,
		     const struct boot_loaded *loaded, const struct tpm_banks *banks,
		     struct tpm_measurements *m, const char **file);
void tpm_measurements_free(struct tpm_measurements *m);

#endif
