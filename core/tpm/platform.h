/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The platform configuration partvm measures into PCR1 (the PC Client
 * PFP's "host platform configuration"), as one canonical text whose
 * SHA-x digests are extended:
 *
 *   partvm-platform 1
 *   cpus 2
 *   memory 536870912                  bytes of guest RAM
 *   tpm crb
 *   cpuid hypervisor-id=hyperv hyperv=1 vendor-id=Microsoft Hv
 *                                     with [partition] hyperv or
 *                                     hypervisor-id only; the vendor ID,
 *                                     with hyperv, is the rest of the line
 *   pci 0000:03:00.0 8086:10ca        then each device type's lines
 *   sriov-pool uplink 0000:00:02.0 8086:10ca
 *   virtio-blk 1af4:1042 capacity=1073741824 ro=0 serial=disk0
 *
 * After the first four lines (and the cpuid line) come the lines each
 * configured device type adds (its measure hook, core/vm/device.h), types
 * in the board's order and each type's devices in config order: what the
 * guest sees of a device, never a host path. Every line ends in "\n";
 * numbers are decimal, identifiers lower-case hex. The first line
 * versions the format: a change to an existing line bumps the number; a
 * new kind of line for a new device type (or setting) does not, so
 * partitions without that device keep their PCR 1.
 */
#ifndef PARTVM_TPM_PLATFORM_H
#define PARTVM_TPM_PLATFORM_H

#include <stddef.h>

struct vm_config;

/* The device lines of CFG's devices, read under ROOT's sysfs ("" for the
 * real system). *OUT is malloc'd ("" without any). Returns 0, or a
 * negative errno with ERR naming what could not be read. */
int tpm_platform_devices(const char *root, const struct vm_config *cfg, char **out, char *err,
			 size_t errlen);

/* The whole text for CFG with its device lines DEVICES. *OUT is malloc'd.
 * Returns its length or -ENOMEM. */
int tpm_platform_text(const struct vm_config *cfg, const char *devices, char **out);

#endif
