/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * First use of a TPM state directory: swtpm_setup (swtpm-tools)
 * manufactures the TPM: the sha256 PCR bank only (Debian's kernel cannot
 * allocate sha384/sha512 for IMA), the RSA and ECC endorsement keys at
 * their persistent handles, an EK certificate from swtpm's local CA when
 * that CA is available, and the certificate NV indices locked.
 */
#ifndef PARTVM_TPM_PROVISION_H
#define PARTVM_TPM_PROVISION_H

#include <stdbool.h>
#include <sys/types.h>

#define TPM_PROVISION_LOG "swtpm_setup.log"

/*
 * Run SETUP_PATH (swtpm_setup) on DIR. Returns 0 with *EK_CERT telling
 * whether an EK certificate was made, or a negative errno: swtpm_setup
 * failed (-EIO, see DIR/swtpm_setup.log) or could not be run. With
 * RUNAS (a user name), swtpm_setup runs as that user, whose ids are UID
 * and GID.
 */
int tpm_provision(const char *setup_path, const char *dir, const char *runas, uid_t uid, gid_t gid,
		  bool *ek_cert);

#endif
