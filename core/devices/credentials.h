/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * System credentials for the guest's systemd (systemd.io/CREDENTIALS),
 * passed as SMBIOS type 11 strings (smbios-type-11(7)):
 *
 *   [credentials]
 *   NAME = VALUE                        # io.systemd.credential:NAME=VALUE
 *
 * `--credential NAME=VALUE`, and `--credential-file NAME=PATH` for a
 * file's bytes (io.systemd.credential.binary:NAME=BASE64).
 */
#ifndef PARTVM_DEVICES_CREDENTIALS_H
#define PARTVM_DEVICES_CREDENTIALS_H

#include <stddef.h>

struct device_type;
struct vm_config;

extern const struct device_type credentials_device_type;
extern const struct device_type credential_file_device_type;

/* Room for all credentials' strings, with their terminators: what SMBIOS
 * can hold beside its other tables. */
#define CREDENTIALS_MAX_BYTES (24 * 1024)

/* The type 11 strings for CFG's credentials, in the order given, as a
 * NULL-terminated array (free with strv_freep). 0 or -ENOMEM. */
int credentials_strings(const struct vm_config *cfg, char ***out);

#endif
