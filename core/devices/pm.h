/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ACPI PM1 fixed hardware (FADT PM1a_EVT_BLK, PM1a_CNT_BLK, PM_TMR_BLK):
 * the guest's S5 request powers the VM off, and the VMM can press the
 * fixed-feature power button, which raises the SCI.
 */
#ifndef PARTVM_PM_H
#define PARTVM_PM_H

#include <stdbool.h>
#include <stdint.h>

struct pm;
struct device_type;

/* PM1 status/enable bits (ACPI 6.5, 4.8.3.1). */
#define PM1_TMR_STS     (1U << 0)
#define PM1_PWRBTN_STS  (1U << 8)
#define PM1_WAK_STS     (1U << 15)
#define PM1_TMR_EN      (1U << 0)
#define PM1_PWRBTN_EN   (1U << 8)
/* PM1 control (ACPI 6.5, 4.8.3.2.1). */
#define PM1_CNT_SCI_EN   (1U << 0)
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_TYP_MASK  (7U << PM1_CNT_SLP_TYP_SHIFT)
#define PM1_CNT_SLP_EN   (1U << 13)

#define PM_TIMER_HZ 3579545ULL

struct pm_hooks {
	void (*sci)(void *ctx, bool level);
	/* SLP_EN written with S5; other sleep types are refused here, with
	 * a (rate-limited) warning. */
	void (*sleep)(void *ctx, unsigned slp_typ);
	uint64_t (*now_ns)(void *ctx);
	void *ctx;
};

struct pm *pm_create(const struct pm_hooks *hooks);
void pm_free(struct pm *pm);
void pm_reset(struct pm *pm);

/* Byte-granular register access; OFFSET is relative to PM1a_EVT_BLK
 * (0-3 event block, 4-5 control, 8-11 timer). */
uint32_t pm_read(struct pm *pm, unsigned offset, unsigned size);
void pm_write(struct pm *pm, unsigned offset, unsigned size, uint32_t value);

/*
 * edk2's CloudHv platform powers off through a hardware-reduced ACPI sleep
 * control register (ACPI 6.5, 4.8.3.7) at port 0x600, which here is PM1a
 * status: a byte write there with SLP_EN set is taken as that register's
 * (a byte write to PM1 status clears bits 0-7, never SLP_EN's bit 5 in a
 * way an OS relies on: it writes the word ACPI's FADT gives).
 */
#define SLEEP_CONTROL_SLP_TYP_SHIFT 2
#define SLEEP_CONTROL_SLP_TYP_MASK  (7U << SLEEP_CONTROL_SLP_TYP_SHIFT)
#define SLEEP_CONTROL_SLP_EN        (1U << 5)
void pm_enable_sleep_control(struct pm *pm);

/* Press the power button: sets PWRBTN_STS; the SCI fires if enabled. */
void pm_press_power_button(struct pm *pm);
bool pm_power_button_enabled(struct pm *pm);

/* The PM1 block at PORT_PM1A_EVT, the SCI, and the power button. */
extern const struct device_type pm_device_type;

#endif
