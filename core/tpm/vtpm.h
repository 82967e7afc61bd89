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

struct vm;

/* Before any VM exists: swtpm (and, for a new state, swtpm_setup) can be
 * run, the state directory is usable and no running partition holds it.
 * Logs one line naming the problem; returns 0 or a negative errno. */
int vtpm_preflight(const struct vm_config *cfg);

/* The VM component's hooks (core/vm.c). */
int vtpm_init(struct vm *vm);
int vtpm_attach(struct vm *vm);
void vtpm_exit(struct vm *vm);

#endif
