// SPDX-License-Identifier: GPL-2.0-only
/* The CMOS RTC (time in BCD and binary, the century, NVRAM, setting the
 * clock) and the ACPI PM1 block (S5, the power button and the SCI). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/acpi/acpi.h"
#include "core/devices/pm.h"
#include "core/devices/rtc.h"
#include "core/vm/bus.h"
#include "core/vm/device.h"
#include "core/vm/layout.h"
#include "capture.h"
#include "fake_vm.h"

/* 2026-11-25 12:34:56 UTC, a Wednesday. */
#define T0 1795610096

static time_t fake_now(void)
{
	return T0;
}

static uint8_t rd(struct rtc *r, uint8_t reg)
{
	rtc_write_port(r, 0, reg);
	return rtc_read_port(r, 1);
}

static void wr(struct rtc *r, uint8_t reg, uint8_t v)
{
	rtc_write_port(r, 0, reg);
	rtc_write_port(r, 1, v);
}

static void test_rtc_time(void **state)
{
	struct rtc *r = rtc_create(fake_now);

	/* BCD, 24-hour, as firmware leaves it. */
	assert_int_equal(rd(r, 0x00), 0x56);
	assert_int_equal(rd(r, 0x02), 0x34);
	assert_int_equal(rd(r, 0x04), 0x12);
	assert_int_equal(rd(r, 0x06), 4);          /* day of week, Sunday = 1 */
	assert_int_equal(rd(r, 0x07), 0x25);
	assert_int_equal(rd(r, 0x08), 0x11);
	assert_int_equal(rd(r, 0x09), 0x26);
	assert_int_equal(rd(r, ACPI_RTC_CENTURY_REG), 0x20);
	assert_int_equal(rd(r, 0x0d), 0x80);       /* valid RAM and time */
	assert_int_equal(rd(r, 0x0a) & 0x80, 0);   /* never mid-update */
	/* Binary mode and 12-hour mode. */
	wr(r, 0x0b, 0x04);
	assert_int_equal(rd(r, 0x00), 56);
	assert_int_equal(rd(r, 0x04), 0x80 | 12);  /* 12 PM */
	wr(r, 0x0b, 0x06);
	assert_int_equal(rd(r, 0x04), 12);
	rtc_free(r);
}

static void test_rtc_set_clock(void **state)
{
	struct rtc *r = rtc_create(fake_now);

	/* As Linux does: SET, then the fields, then clear SET. A half-written
	 * date (Feb 25) must not normalise before the month is written. */
	wr(r, 0x0b, 0x82);
	wr(r, 0x07, 0x29);
	wr(r, 0x08, 0x02);
	wr(r, 0x09, 0x28);
	assert_int_equal(rd(r, 0x09), 0x26);       /* not applied yet */
	wr(r, 0x0b, 0x02);
	assert_int_equal(rd(r, 0x07), 0x29);
	assert_int_equal(rd(r, 0x08), 0x02);
	assert_int_equal(rd(r, 0x09), 0x28);
	assert_int_equal(rd(r, 0x00), 0x56);
	/* A single field without SET moves the clock at once. */
	wr(r, 0x02, 0x00);
	assert_int_equal(rd(r, 0x02), 0x00);
	rtc_free(r);
}

/* A century before 1900 (the MC146818 keeps any): the year still reads as
 * the two digits written, in BCD and in binary (found by fuzz_platform). */
static void test_rtc_year_before_1900(void **state)
{
	struct rtc *r = rtc_create(fake_now);

	wr(r, ACPI_RTC_CENTURY_REG, 0x18);
	assert_int_equal(rd(r, ACPI_RTC_CENTURY_REG), 0x18);
	assert_int_equal(rd(r, 0x09), 0x26);       /* 1826 */
	wr(r, 0x09, 0x99);
	assert_int_equal(rd(r, 0x09), 0x99);
	assert_int_equal(rd(r, ACPI_RTC_CENTURY_REG), 0x18);
	/* Year 0 (the first century): century 0, year 0..99. */
	wr(r, ACPI_RTC_CENTURY_REG, 0x00);
	assert_int_equal(rd(r, 0x09), 0x99);
	wr(r, 0x0b, 0x06);                         /* binary */
	wr(r, ACPI_RTC_CENTURY_REG, 2);
	wr(r, 0x09, 25);
	assert_int_equal(rd(r, 0x09), 25);         /* 225 */
	assert_int_equal(rd(r, ACPI_RTC_CENTURY_REG), 2);
	rtc_free(r);
}

static void test_rtc_nvram(void **state)
{
	struct rtc *r = rtc_create(fake_now);

	for (unsigned i = 0x0e; i < RTC_CMOS_SIZE; i++)
		if (i != ACPI_RTC_CENTURY_REG)
			wr(r, i, (uint8_t)(i * 7));
	for (unsigned i = 0x0e; i < RTC_CMOS_SIZE; i++)
		if (i != ACPI_RTC_CENTURY_REG)
			assert_int_equal(rd(r, i), (uint8_t)(i * 7));
	/* Bit 7 of the index port is the NMI mask, not part of the index. */
	wr(r, 0x80 | 0x38, 0x5a);
	assert_int_equal(rd(r, 0x38), 0x5a);
	/* Out-of-range port offsets read as a floating bus. */
	assert_int_equal(rtc_read_port(r, 2), 0xff);
	rtc_free(r);
}

struct pm_fixture {
	bool sci;
	int sleeps;
	unsigned slp_typ;
};

static void sci(void *ctx, bool level) { ((struct pm_fixture *)ctx)->sci = level; }
static void sleep_hook(void *ctx, unsigned t) { ((struct pm_fixture *)ctx)->sleeps++; ((struct pm_fixture *)ctx)->slp_typ = t; }
static uint64_t now_ns(void *ctx) { return 1000000000ULL; }

static void test_pm(void **state)
{
	struct pm_fixture f = { 0 };
	struct pm_hooks h = { .sci = sci, .sleep = sleep_hook, .now_ns = now_ns, .ctx = &f };
	struct pm *pm = pm_create(&h);

	/* Always in ACPI mode. */
	assert_true(pm_read(pm, 4, 2) & PM1_CNT_SCI_EN);
	/* Enable bits stick as written (Linux reads them back). */
	pm_write(pm, 2, 2, PM1_PWRBTN_EN | (1 << 5) | (1 << 10));
	assert_int_equal(pm_read(pm, 2, 2), PM1_PWRBTN_EN | (1 << 5) | (1 << 10));
	/* The power button raises the SCI until its status is cleared (W1C). */
	pm_press_power_button(pm);
	assert_true(f.sci);
	assert_true(pm_read(pm, 0, 2) & PM1_PWRBTN_STS);
	assert_true(pm_read(pm, 0, 4) & PM1_PWRBTN_STS);          /* dword: STS | EN << 16 */
	assert_true((pm_read(pm, 0, 4) >> 16) & PM1_PWRBTN_EN);
	pm_write(pm, 0, 2, 0);                                    /* writing zero clears nothing */
	assert_true(f.sci);
	pm_write(pm, 0, 2, PM1_PWRBTN_STS);
	assert_false(f.sci);
	assert_false(pm_read(pm, 0, 2) & PM1_PWRBTN_STS);
	/* Masked: status set, no SCI. */
	pm_write(pm, 2, 2, 0);
	pm_press_power_button(pm);
	assert_false(f.sci);
	/* S5: Linux writes SLP_TYP, then SLP_TYP | SLP_EN. */
	pm_write(pm, 4, 2, (ACPI_SLP_TYP_S5 << PM1_CNT_SLP_TYP_SHIFT) | PM1_CNT_SCI_EN);
	assert_int_equal(f.sleeps, 0);
	pm_write(pm, 4, 2, (ACPI_SLP_TYP_S5 << PM1_CNT_SLP_TYP_SHIFT) | PM1_CNT_SLP_EN);
	assert_int_equal(f.sleeps, 1);
	assert_int_equal(f.slp_typ, ACPI_SLP_TYP_S5);
	assert_false(pm_read(pm, 4, 2) & PM1_CNT_SLP_EN);          /* write-only */
	/* The timer: 3.579545 MHz from the clock, 32 bits. */
	assert_int_equal(pm_read(pm, 8, 4), 3579545);
	/* Hostile offsets and sizes. */
	assert_int_equal(pm_read(pm, 12, 1), 0xffffffff);
	assert_int_equal(pm_read(pm, 10, 4), 0xffffffff);
	pm_write(pm, 11, 4, 0xffffffff);
	pm_free(pm);
}

/* edk2's CloudHv platform powers off with a byte write of SLP_TYP 5 and
 * SLP_EN to port 0x600, PM1a status here: taken only when enabled, and a
 * word write (an OS clearing status bits) never sleeps. */
static void test_pm_sleep_control(void **state)
{
	struct pm_fixture f = { 0 };
	struct pm_hooks h = { .sci = sci, .sleep = sleep_hook, .now_ns = now_ns, .ctx = &f };
	struct pm *pm = pm_create(&h);
	uint8_t s5 = 5 << SLEEP_CONTROL_SLP_TYP_SHIFT | SLEEP_CONTROL_SLP_EN;

	pm_write(pm, 0, 1, s5);
	assert_int_equal(f.sleeps, 0);
	pm_enable_sleep_control(pm);
	pm_write(pm, 0, 2, s5);
	pm_write(pm, 0, 1, 5 << SLEEP_CONTROL_SLP_TYP_SHIFT);
	assert_int_equal(f.sleeps, 0);
	pm_write(pm, 0, 1, s5);
	assert_int_equal(f.sleeps, 1);
	assert_int_equal(f.slp_typ, ACPI_SLP_TYP_S5);
	/* Another sleep type is refused as through PM1a control. */
	pm_write(pm, 0, 1, 3 << SLEEP_CONTROL_SLP_TYP_SHIFT | SLEEP_CONTROL_SLP_EN);
	assert_int_equal(f.sleeps, 1);
	pm_free(pm);
}

/* The RAM sizes firmware reads from CMOS, as QEMU's PC leaves them. */
static void test_rtc_memory_size(void **state)
{
	struct rtc *r = rtc_create(fake_now);

	/* 2 GiB below the hole, 3 GiB above 4 GiB. */
	rtc_set_memory_size(r, 2ULL << 30, 3ULL << 30);
	assert_int_equal(rd(r, CMOS_EXT_MEM_KB) | rd(r, CMOS_EXT_MEM_KB + 1) << 8, 0xffff);
	assert_int_equal(rd(r, CMOS_EXT_MEM_KB_COPY + 1), 0xff);
	assert_int_equal(rd(r, CMOS_MEM_ABOVE_16M) | rd(r, CMOS_MEM_ABOVE_16M + 1) << 8,
			 ((2ULL << 30) - (16 << 20)) >> 16);
	assert_int_equal(rd(r, CMOS_MEM_ABOVE_4G) | rd(r, CMOS_MEM_ABOVE_4G + 1) << 8 |
			 rd(r, CMOS_MEM_ABOVE_4G + 2) << 16, (3ULL << 30) >> 16);
	/* 32 MiB, none above 4 GiB. */
	rtc_set_memory_size(r, 32 << 20, 0);
	assert_int_equal(rd(r, CMOS_EXT_MEM_KB) | rd(r, CMOS_EXT_MEM_KB + 1) << 8, 31 * 1024);
	assert_int_equal(rd(r, CMOS_MEM_ABOVE_16M) | rd(r, CMOS_MEM_ABOVE_16M + 1) << 8, 256);
	assert_int_equal(rd(r, CMOS_MEM_ABOVE_4G + 2), 0);
	rtc_free(r);
}

/*
 * Issue 18, defect 4: a guest that asks for S3 in a loop got one warning
 * per request. Through the PM device on the VM's port bus: 1000 requests,
 * at most the burst of 5 lines, the last saying nothing about the rest yet
 * (the count comes with the next line that may pass).
 */
static void test_pm_sleep_warning_limited(void **state)
{
	uint16_t s3 = (uint16_t)(((ACPI_SLP_TYP_S5 + 2) & 7) << PM1_CNT_SLP_TYP_SHIFT);
	struct device d = { .type = &pm_device_type, .name = "acpi-pm" };
	struct capture cap;
	struct vm_config cfg;
	struct vm vm;

	(void)state;
	fake_vm_init(&vm, &cfg, "pm", 1);
	assert_int_equal(bus_init(&vm.pio, "pio"), 0);
	d.vm = &vm;
	assert_int_equal(pm_device_type.create(&d, NULL), 0);
	capture_begin(&cap);
	for (int i = 0; i < 1000; i++)
		assert_true(bus_write(&vm.pio, PORT_PM1A_EVT + 4, 2, s3 | PM1_CNT_SLP_EN | PM1_CNT_SCI_EN));
	capture_end(&cap);
	assert_non_null(strstr(cap.text, "only S5 (poweroff) is supported"));
	assert_true(cap.lines >= 1 && cap.lines <= 5);
	pm_device_type.free(&d);
	bus_destroy(&vm.pio);
	fake_vm_free(&vm, &cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtc_time),
		cmocka_unit_test(test_rtc_set_clock),
		cmocka_unit_test(test_rtc_year_before_1900),
		cmocka_unit_test(test_rtc_nvram),
		cmocka_unit_test(test_pm),
		cmocka_unit_test(test_pm_sleep_warning_limited),
		cmocka_unit_test(test_pm_sleep_control),
		cmocka_unit_test(test_rtc_memory_size),
	};
	return cmocka_run_group_tests_name("platform", tests, NULL, NULL);
}
