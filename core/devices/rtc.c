// SPDX-License-Identifier: GPL-2.0-only
#include "core/devices/rtc.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm/device.h"
#include "core/vm/layout.h"
#include "core/vm/vm.h"

/* MC146818 register indices and bits. */
#define REG_SECONDS   0x00
#define REG_MINUTES   0x02
#define REG_HOURS     0x04
#define REG_WEEKDAY   0x06
#define REG_DAY       0x07
#define REG_MONTH     0x08
#define REG_YEAR      0x09
#define REG_A         0x0a
#define REG_B         0x0b
#define REG_C         0x0c
#define REG_D         0x0d
#define REG_B_24H     0x02
#define REG_B_BINARY  0x04
#define REG_B_SET     0x80
#define REG_D_VRT     0x80
#define HOUR_PM       0x80

struct rtc {
	pthread_mutex_t lock;
	time_t (*now)(void);
	time_t offset;          /* guest time minus host time */
	uint8_t index;
	uint8_t cmos[RTC_CMOS_SIZE];
	struct tm set_tm;       /* fields written while REG_B.SET holds the clock */
};

static uint8_t to_bcd(unsigned v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static unsigned from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0x0f);
}

static bool binary(const struct rtc *r)
{
	return r->cmos[REG_B] & REG_B_BINARY;
}

static uint8_t encode(const struct rtc *r, unsigned v)
{
	return binary(r) ? (uint8_t)v : to_bcd(v);
}

static unsigned decode(const struct rtc *r, uint8_t v)
{
	return binary(r) ? v : from_bcd(v);
}

static uint8_t encode_hour(const struct rtc *r, unsigned h)
{
	if (r->cmos[REG_B] & REG_B_24H)
		return encode(r, h);
	/* 12-hour mode: 12, 1..11 with bit 7 for PM. */
	return encode(r, h % 12 ? h % 12 : 12) | (h >= 12 ? HOUR_PM : 0);
}

static unsigned decode_hour(const struct rtc *r, uint8_t v)
{
	unsigned h;

	if (r->cmos[REG_B] & REG_B_24H)
		return decode(r, v);
	h = decode(r, v & ~HOUR_PM) % 12;
	return (v & HOUR_PM) ? h + 12 : h;
}

/* The two digits of the year, 0..99 also before 1900 (tm_year < 0). */
static unsigned year_of_century(const struct tm *tm)
{
	int y = (tm->tm_year + 1900) % 100;

	return y < 0 ? y + 100 : y;
}

static void guest_time(struct rtc *r, struct tm *tm)
{
	time_t t = r->now() + r->offset;

	gmtime_r(&t, tm);
}

static uint8_t read_reg(struct rtc *r, uint8_t reg)
{
	struct tm tm;
	uint8_t v;

	switch (reg) {
	case REG_SECONDS: guest_time(r, &tm); return encode(r, tm.tm_sec);
	case REG_MINUTES: guest_time(r, &tm); return encode(r, tm.tm_min);
	case REG_HOURS: guest_time(r, &tm); return encode_hour(r, tm.tm_hour);
	case REG_WEEKDAY: guest_time(r, &tm); return encode(r, tm.tm_wday + 1);
	case REG_DAY: guest_time(r, &tm); return encode(r, tm.tm_mday);
	case REG_MONTH: guest_time(r, &tm); return encode(r, tm.tm_mon + 1);
	case REG_YEAR: guest_time(r, &tm); return encode(r, year_of_century(&tm));
	case RTC_REG_CENTURY: guest_time(r, &tm); return encode(r, (tm.tm_year + 1900) / 100);
	case REG_A:
		/* UIP stays clear: the time is read atomically from the host. */
		return r->cmos[REG_A] & 0x7f;
	case REG_C:
		/* No periodic, alarm or update interrupts are raised, so no
		 * flags are ever set; reading clears them as on the chip. */
		v = r->cmos[REG_C];
		r->cmos[REG_C] = 0;
		return v;
	case REG_D:
		return REG_D_VRT;
	default:
		return r->cmos[reg];
	}
}

static void apply_time(struct rtc *r, struct tm *tm)
{
	time_t t = timegm(tm);

	if (t != (time_t)-1)
		r->offset = t - r->now();
}

/*
 * A write to a time field moves the guest clock. While REG_B.SET is on
 * (how Linux and BIOSes set the clock) the fields collect in set_tm and
 * take effect together when SET clears, so a half-written date never
 * normalises into a wrong one.
 */
static void write_time(struct rtc *r, uint8_t reg, uint8_t value)
{
	bool holding = r->cmos[REG_B] & REG_B_SET;
	struct tm now, *tm = &r->set_tm;

	if (!holding) {
		guest_time(r, &now);
		tm = &now;
	}
	switch (reg) {
	case REG_SECONDS: tm->tm_sec = decode(r, value); break;
	case REG_MINUTES: tm->tm_min = decode(r, value); break;
	case REG_HOURS: tm->tm_hour = decode_hour(r, value); break;
	case REG_DAY: tm->tm_mday = decode(r, value); break;
	case REG_MONTH: tm->tm_mon = (int)decode(r, value) - 1; break;
	case REG_YEAR: tm->tm_year = ((tm->tm_year + 1900) / 100) * 100 - 1900 + decode(r, value); break;
	case RTC_REG_CENTURY: tm->tm_year = decode(r, value) * 100 - 1900 + year_of_century(tm); break;
	default: return;
	}
	if (!holding)
		apply_time(r, tm);
}

static void write_reg(struct rtc *r, uint8_t reg, uint8_t value)
{
	switch (reg) {
	case REG_SECONDS:
	case REG_MINUTES:
	case REG_HOURS:
	case REG_DAY:
	case REG_MONTH:
	case REG_YEAR:
	case RTC_REG_CENTURY:
		write_time(r, reg, value);
		break;
	case REG_WEEKDAY:
		break;   /* derived from the date */
	case REG_A:
		r->cmos[REG_A] = value & 0x7f;
		break;
	case REG_B:
		if (!(r->cmos[REG_B] & REG_B_SET) && (value & REG_B_SET))
			guest_time(r, &r->set_tm);
		else if ((r->cmos[REG_B] & REG_B_SET) && !(value & REG_B_SET))
			apply_time(r, &r->set_tm);
		r->cmos[REG_B] = value;
		break;
	case REG_C:
	case REG_D:
		break;   /* read-only */
	default:
		r->cmos[reg] = value;
		break;
	}
}

uint8_t rtc_read_port(struct rtc *r, unsigned offset)
{
	uint8_t v = 0xff;

	pthread_mutex_lock(&r->lock);
	if (offset == 1)
		v = read_reg(r, r->index);
	pthread_mutex_unlock(&r->lock);
	return v;
}

void rtc_write_port(struct rtc *r, unsigned offset, uint8_t value)
{
	pthread_mutex_lock(&r->lock);
	if (offset == 0)
		r->index = value & 0x7f;   /* bit 7 is the NMI mask */
	else if (offset == 1)
		write_reg(r, r->index, value);
	pthread_mutex_unlock(&r->lock);
}

static time_t host_now(void)
{
	return time(NULL);
}

struct rtc *rtc_create(time_t (*now)(void))
{
	struct rtc *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	r->now = now ? now : host_now;
	r->cmos[REG_A] = 0x26;          /* 32.768 kHz time base, 1024 Hz rate */
	r->cmos[REG_B] = REG_B_24H;     /* BCD, 24-hour, as a PC BIOS leaves it */
	return r;
}

void rtc_set_memory_size(struct rtc *r, uint64_t low_end, uint64_t above_4g)
{
	uint64_t ext = low_end > SZ_1M ? (low_end - SZ_1M) / SZ_1K : 0;
	uint64_t mid = low_end > 16 * SZ_1M ? (low_end - 16 * SZ_1M) >> 16 : 0;
	uint64_t high = above_4g >> 16;

	if (ext > 0xffff)
		ext = 0xffff;
	if (mid > 0xffff)
		mid = 0xffff;
	if (high > 0xffffff)
		high = 0xffffff;
	pthread_mutex_lock(&r->lock);
	r->cmos[CMOS_EXT_MEM_KB] = r->cmos[CMOS_EXT_MEM_KB_COPY] = ext & 0xff;
	r->cmos[CMOS_EXT_MEM_KB + 1] = r->cmos[CMOS_EXT_MEM_KB_COPY + 1] = ext >> 8;
	r->cmos[CMOS_MEM_ABOVE_16M] = mid & 0xff;
	r->cmos[CMOS_MEM_ABOVE_16M + 1] = mid >> 8;
	for (unsigned i = 0; i < 3; i++)
		r->cmos[CMOS_MEM_ABOVE_4G + i] = (high >> (8 * i)) & 0xff;
	pthread_mutex_unlock(&r->lock);
}

void rtc_free(struct rtc *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static uint64_t pio_read(void *opaque, uint64_t offset, unsigned size)
{
	if (offset >= 2 || size != 1)
		return ~0ULL;
	return rtc_read_port(opaque, (unsigned)offset);
}

static void pio_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	if (offset >= 2 || size != 1)
		return;
	rtc_write_port(opaque, (unsigned)offset, (uint8_t)value);
}

static const struct bus_ops rtc_ops = { .read = pio_read, .write = pio_write };

static int create(struct device *d, struct loop *loop)
{
	struct rtc *r = rtc_create(NULL);
	const struct mem_layout *l = &d->vm->mem.layout;

	if (!r)
		return -ENOMEM;
	d->priv = r;
	rtc_set_memory_size(r, l->low_end, l->high_end - LAYOUT_PCI_HOLE_END);
	return bus_register(&d->vm->pio, PORT_RTC, 2, "rtc", &rtc_ops, r);
}

static void destroy(struct device *d)
{
	rtc_free(d->priv);
}

static void acpi(struct device *d, struct acpi_config *a)
{
	a->rtc = true;
}

const struct device_type rtc_device_type = {
	.name = "rtc",
	.create = create,
	.free = destroy,
	.acpi = acpi,
};
