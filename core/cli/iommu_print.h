/* SPDX-License-Identifier: GPL-2.0-only */
/* The device table shared by `partvm devices` and `partvm iommu groups`. */
#ifndef PARTVM_CLI_IOMMU_PRINT_H
#define PARTVM_CLI_IOMMU_PRINT_H

#include <stdio.h>

#include "iommu/iommu.h"

void cli_print_device_header(FILE *f);
/* One line; HELD (optional) is the device's bind record. */
void cli_print_device(FILE *f, const struct iommu_device *d, const struct iommu_record *held);
/* The record for BDF in RECS[0..N), or NULL. */
const struct iommu_record *cli_find_record(const struct iommu_record *recs, int n, const char *bdf);

#endif
