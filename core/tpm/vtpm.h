/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The vTPM of a partition (`--tpm STATEDIR`, `[tpm] state = DIR`): swtpm as
 * partvm's child, the CRB device in front of it, and partvm acting as the
 * platform firmware at every boot: TPM reset, TPM2_Startup(CLEAR), the
 * measurements of core/tpm/measure.h extended into every active bank and
 * written as the TCG2 event log the TPM2 table's LASA points at (and kept
 * as STATEDIR/eventlog.bin).
 */
#ifndef PARTVM_TPM_VTPM_H
#define PARTVM_TPM_VTPM_H

#include "core/vm/config.h"

struct device_type;

/* [tpm] state = DIR / --tpm DIR. Its preflight checks, before any VM
 * exists, that swtpm (and, for a new state, swtpm_setup) can be run, the
 * state directory is usable and no running partition holds it. */
extern const struct device_type vtpm_device_type;

/* The configured state directory, or NULL without a vTPM. */
const char *vtpm_state_dir(const struct vm_config *cfg);

#endif
