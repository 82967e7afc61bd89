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
uint8_t rtc_read_port(struct rtc *r, unsigned offset);
void rtc_write_port(struct rtc *r, unsigned offset, uint8_t value);

/* Ports 0x70/0x71, IRQ 8 in the DSDT. */
extern const struct device_type rtc_device_type;

#endif
