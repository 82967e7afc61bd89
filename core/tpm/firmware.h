/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * partvm as the platform firmware of a freshly reset TPM (PC Client PFP,
 * 3.3): TPM2_Startup(CLEAR), then every measurement of core/tpm/measure.h
 * extended into all the banks the TPM has active, and the TCG2 event log
 * that records them.
 */
#ifndef PARTVM_TPM_FIRMWARE_H
#define PARTVM_TPM_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

#include "core/boot/boot.h"
#include "core/vm/config.h"
#include "core/tpm/platform.h"
#include "core/tpm/swtpm.h"

/*
 * Measure CFG's boot (with its devices' PCR 1 lines DEVICES) into the TPM
 * behind S, which was just reset, and write the event log into LOG (CAP
 * bytes, zero-filled past the log). LOADED, when not NULL, holds the bytes
 * the boot loaded, which PCR 9 then hashes instead of the files. Returns
 * the log's length, or a negative errno having logged one line that names
 * the failed step.
 */
int tpm_firmware_measure_boot(struct swtpm *s, const struct vm_config *cfg, const char *devices,
			      const struct boot_loaded *loaded, uint8_t *log, size_t cap);

#endif
