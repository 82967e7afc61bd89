/* SPDX-License-Identifier: GPL-2.0-only */
/* MC146818 CMOS RTC at ports 0x70/0x71: host time, and NVRAM that keeps
 * its contents across a VM reset as on real hardware. */
#ifndef PARTVM_RTC_H
#define PARTVM_RTC_H

#include <stdint.h>
#include <time.h>

#include "core/acpi/acpi.h"

struct rtc;
struct device_type;

#define RTC_CMOS_SIZE 128
#define RTC_REG_CENTURY ACPI_RTC_CENTURY_REG

/* NOW returns the host time in seconds; tests pass a fixed clock. */
struct rtc *rtc_create(time_t (*now)(void));
void rtc_free(struct rtc *r);

/*
 * The RAM sizes a PC BIOS leaves in CMOS, which firmware reads: 0x17/0x30
 * extended memory above 1 MiB in KiB (up to 64 MiB), 0x34-0x35 RAM above
 * 16 MiB below the hole and 0x5b-0x5d RAM above 4 GiB, in 64 KiB units
 * (what edk2's OVMF platforms read; its CloudHv platform takes the RAM
 * above 4 GiB from there).
 */
#define CMOS_EXT_MEM_KB_COPY 0x17
#define CMOS_EXT_MEM_KB      0x30
#define CMOS_MEM_ABOVE_16M   0x34
#define CMOS_MEM_ABOVE_4G    0x5b
void rtc_set_memory_size(struct rtc *r, uint64_t low_end, uint64_t above_4g);
uint8_t rtc_read_port(struct rtc *r, unsigned offset);
void rtc_write_port(struct rtc *r, unsigned offset, uint8_t value);

/* Ports 0x70/0x71, IRQ 8 in the DSDT. */
extern const struct device_type rtc_device_type;

#endif
