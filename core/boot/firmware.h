/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A UEFI firmware, booted instead of a kernel: edk2's OvmfPkg/CloudHv
 * platform, a PVH ELF (one segment holding the firmware volumes, entered
 * in 32-bit protected mode with the PVH start info, whose memory map and
 * RSDP the firmware reads). The platform it expects is the layout's
 * LAYOUT_FIRMWARE (core/vm/layout.h).
 */
#ifndef PARTVM_BOOT_FIRMWARE_H
#define PARTVM_BOOT_FIRMWARE_H

#include "core/boot/image.h"
#include "core/boot/pvh.h"

/* Parse IMG as such a firmware. -ENOEXEC (-EIO when truncated) with WHY
 * saying what it is instead: a raw flash image made for QEMU, an ELF
 * without a PVH entry, a PVH ELF with no firmware volume (a kernel). */
int firmware_parse(const struct boot_image *img, struct pvh_info *info, const char **why);

#endif
