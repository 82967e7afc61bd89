/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SMBIOS 3.2 tables (DMTF DSP0134): what `dmidecode` and systemd read of
 * the machine. An SMBIOS 3 entry point ("_SM3_") at LAYOUT_SMBIOS_START,
 * where Linux finds it without EFI, then the structures: BIOS (type 0,
 * marked as a virtual machine), system (1: the partition's name and
 * UUID), chassis (3), processor (4), OEM strings (11: the guest's
 * systemd credentials) and the end (127).
 */
#ifndef PARTVM_DEVICES_SMBIOS_H
#define PARTVM_DEVICES_SMBIOS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct device_type;
struct vm_config;

extern const struct device_type smbios_device_type;

struct smbios_info {
	const char *vendor;           /* type 0, 1, 3 manufacturer */
	const char *version;          /* partvm's */
	const char *name;             /* the partition: type 1 product and serial */
	uint8_t uuid[16];             /* as written, big-endian fields */
	unsigned cpus;
	char *const *oem;             /* type 11 strings, NULL-terminated (may be NULL) */
};

/* Build the entry point and tables for a copy at guest-physical ADDR:
 * the entry point first, the structures 32 bytes on. Returns the bytes
 * used, or -ENOSPC when LEN is too small (or a string is empty: SMBIOS
 * has no empty strings, so it is left out). */
ssize_t smbios_build(const struct smbios_info *info, uint64_t addr, uint8_t *buf, size_t len);

/* The partition's UUID: [partition] uuid, else one derived from its name
 * (RFC 4122 version 5, SHA-1, in a namespace of partvm's), the same on
 * every start. -ELIBACC when libgcrypt cannot be loaded. */
int smbios_partition_uuid(const struct vm_config *cfg, uint8_t uuid[16]);

#endif
