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
 *   pci 0000:03:00.0 8086:10ca        one line per [vfio] device, host
 *                                     address and vendor:device
 *   sriov-pool uplink 0000:00:02.0 8086:10ca
 *                                     one line per [sriov "NAME"] pool: its
 *                                     name, the PF's address and the VFs'
 *                                     vendor:device (which VF the pool hands
 *                                     out varies, so it is not measured)
 *
 * Every line ends in "\n"; numbers are decimal, identifiers lower-case hex.
 * The first line versions the format: any change to it bumps the number.
 */
#ifndef PARTVM_TPM_PLATFORM_H
#define PARTVM_TPM_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "core/vm/config.h"
#include "sriov/sriov.h"

struct tpm_platform_device {
	char bdf[SRIOV_BDF_MAX];      /* host PCI address, "0000:03:00.0"; a pool's PF */
	uint16_t vendor, device;
	const char *pool;             /* an [sriov] pool's name, or NULL */
};

/* The text for CFG and its N passed-through devices, in the order the
 * partition gets them. *OUT is malloc'd. Returns its length or -ENOMEM. */
int tpm_platform_text(const struct vm_config *cfg, const struct tpm_platform_device *dev,
		      size_t n, char **out);

/* Describe the host device BDF from ROOT/sys/bus/pci/devices/BDF (ROOT ""
 * for the real system). Returns 0, -EINVAL for a malformed BDF, or the
 * errno of reading its vendor/device attributes. */
int tpm_platform_device_read(const char *root, const char *bdf, struct tpm_platform_device *d);

/*
 * The devices CFG passes through, as measured: its [vfio] devices in
 * order, then its [sriov] pools in order. *OUT is malloc'd (NULL when *N
 * is 0) and its pool names point into CFG. Returns 0, or a negative errno
 * with ERR naming the device that could not be read.
 */
int tpm_platform_devices(const char *root, const struct vm_config *cfg,
			 struct tpm_platform_device **out, size_t *n, char *err, size_t errlen);

#endif
