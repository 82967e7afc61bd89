// SPDX-License-Identifier: GPL-2.0-only
#include "core/devices/pm.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/acpi/acpi.h"
#include "core/vm/device.h"
#include "core/vm/layout.h"
#include "core/util/log.h"
#include "core/util/ratelimit.h"
#include "core/vm/vm.h"

/* Register file offsets from PM1a_EVT_BLK. */
#define OFF_STS 0
#define OFF_EN  2
#define OFF_CNT (PORT_PM1A_CNT - PORT_PM1A_EVT)
#define OFF_TMR (PORT_PM_TMR - PORT_PM1A_EVT)
#define PM_BLOCK_LEN (OFF_TMR + 4)

struct pm {
	pthread_mutex_t lock;
	struct pm_hooks hooks;
	uint16_t sts, en, cnt;
	bool sci_level;
	bool sleep_control;     /* see pm_enable_sleep_control() */
	/* A guest can ask for sleep states in a loop: say so, not endlessly. */
	struct ratelimit rl;
};

static void update_sci(struct pm *pm)
{
	bool level = (pm->sts & pm->en) != 0;

	if (level != pm->sci_level) {
		pm->sci_level = level;
		if (pm->hooks.sci)
			pm->hooks.sci(pm->hooks.ctx, level);
	}
}

struct pm *pm_create(const struct pm_hooks *hooks)
{
	struct pm *pm = calloc(1, sizeof(*pm));

	if (!pm)
		return NULL;
	pthread_mutex_init(&pm->lock, NULL);
	ratelimit_init(&pm->rl, 10, 5);
	pm->hooks = *hooks;
	pm->cnt = PM1_CNT_SCI_EN;   /* no SMI_CMD: always in ACPI mode */
	return pm;
}

void pm_free(struct pm *pm)
{
	if (!pm)
		return;
	pthread_mutex_destroy(&pm->lock);
	pthread_mutex_destroy(&pm->rl.lock);
	free(pm);
}

void pm_reset(struct pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->sts = pm->en = 0;
	pm->cnt = PM1_CNT_SCI_EN;
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

static uint32_t timer_value(struct pm *pm)
{
	uint64_t ns = pm->hooks.now_ns(pm->hooks.ctx);

	/* A 32-bit counter at 3.579545 MHz: the FADT sets TMR_VAL_EXT. */
	return (uint32_t)((unsigned __int128)ns * PM_TIMER_HZ / 1000000000ULL);
}

/* One byte of the register file at OFFSET. */
static uint8_t read_byte(struct pm *pm, unsigned offset)
{
	switch (offset) {
	case OFF_STS: return pm->sts & 0xff;
	case OFF_STS + 1: return pm->sts >> 8;
	case OFF_EN: return pm->en & 0xff;
	case OFF_EN + 1: return pm->en >> 8;
	case OFF_CNT: return pm->cnt & 0xff;
	/* SLP_EN is write-only and reads as zero. */
	case OFF_CNT + 1: return (pm->cnt & ~PM1_CNT_SLP_EN) >> 8;
	default: return 0;
	}
}

uint32_t pm_read(struct pm *pm, unsigned offset, unsigned size)
{
	uint32_t v = 0;

	if (size == 0 || size > 4 || offset >= PM_BLOCK_LEN || size > PM_BLOCK_LEN - offset)
		return ~0U;
	pthread_mutex_lock(&pm->lock);
	if (offset >= OFF_TMR) {
		v = timer_value(pm) >> (8 * (offset - OFF_TMR));
	} else {
		for (unsigned i = 0; i < size; i++)
			v |= (uint32_t)read_byte(pm, offset + i) << (8 * i);
	}
	pthread_mutex_unlock(&pm->lock);
	if (size < 4)
		v &= (1U << (8 * size)) - 1;
	return v;
}

void pm_write(struct pm *pm, unsigned offset, unsigned size, uint32_t value)
{
	unsigned slp_typ = 0;
	bool sleep = false;

	if (size == 0 || size > 4 || offset >= PM_BLOCK_LEN || size > PM_BLOCK_LEN - offset)
		return;
	pthread_mutex_lock(&pm->lock);
	if (pm->sleep_control && offset == OFF_STS && size == 1 && (value & SLEEP_CONTROL_SLP_EN)) {
		sleep = true;
		slp_typ = (value & SLEEP_CONTROL_SLP_TYP_MASK) >> SLEEP_CONTROL_SLP_TYP_SHIFT;
		size = 0;
	}
	for (unsigned i = 0; i < size; i++) {
		unsigned off = offset + i;
		uint8_t b = value >> (8 * i);

		switch (off) {
		case OFF_STS:
		case OFF_STS + 1:
			/* Status bits are write-one-to-clear. */
			pm->sts &= ~((uint16_t)b << (8 * (off - OFF_STS)));
			break;
		case OFF_EN:
		case OFF_EN + 1: {
			unsigned sh = 8 * (off - OFF_EN);

			pm->en = (pm->en & ~(0xff << sh)) | ((uint16_t)b << sh);
			break;
		}
		case OFF_CNT:
			/* SCI_EN stays set: there is no legacy mode to return to. */
			pm->cnt = (pm->cnt & 0xff00) | b | PM1_CNT_SCI_EN;
			break;
		case OFF_CNT + 1:
			pm->cnt = (pm->cnt & 0x00ff) | ((uint16_t)b << 8);
			if (pm->cnt & PM1_CNT_SLP_EN) {
				sleep = true;
				slp_typ = (pm->cnt & PM1_CNT_SLP_TYP_MASK) >> PM1_CNT_SLP_TYP_SHIFT;
				pm->cnt &= ~PM1_CNT_SLP_EN;
			}
			break;
		default:
			break;   /* the timer is read-only */
		}
	}
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
	if (sleep && slp_typ != ACPI_SLP_TYP_S5)
		ratelimit_warning(&pm->rl, "guest asked for sleep type %u; only S5 (poweroff) is "
				  "supported", slp_typ);
	else if (sleep && pm->hooks.sleep)
		pm->hooks.sleep(pm->hooks.ctx, slp_typ);
}

void pm_enable_sleep_control(struct pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->sleep_control = true;
	pthread_mutex_unlock(&pm->lock);
}

void pm_press_power_button(struct pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->sts |= PM1_PWRBTN_STS;
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

bool pm_power_button_enabled(struct pm *pm)
{
	bool en;

	pthread_mutex_lock(&pm->lock);
	en = pm->en & PM1_PWRBTN_EN;
	pthread_mutex_unlock(&pm->lock);
	return en;
}

/* VM glue. */
static void vm_sci(void *ctx, bool level)
{
	vm_set_irq_line(ctx, IRQ_SCI, level);
}

static void vm_sleep(void *ctx, unsigned slp_typ)
{
	vm_request_stop(ctx, VM_STOP_POWEROFF, 0);
}

static uint64_t vm_now_ns(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t pio_read(void *opaque, uint64_t offset, unsigned size)
{
	return pm_read(opaque, (unsigned)offset, size);
}

static void pio_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	pm_write(opaque, (unsigned)offset, size, (uint32_t)value);
}

static const struct bus_ops pm_ops = { .read = pio_read, .write = pio_write };

static int create(struct device *d, struct loop *loop)
{
	struct pm_hooks hooks = { .sci = vm_sci, .sleep = vm_sleep, .now_ns = vm_now_ns,
				  .ctx = d->vm };
	struct pm *pm = pm_create(&hooks);

	if (!pm)
		return -ENOMEM;
	d->priv = pm;
	if (d->vm->mem.layout.platform == LAYOUT_FIRMWARE)
		pm_enable_sleep_control(pm);
	return bus_register(&d->vm->pio, PORT_PM1A_EVT, PM_BLOCK_LEN, "acpi-pm", &pm_ops, pm);
}

static void reset(struct device *d)
{
	pm_reset(d->priv);
}

static void destroy(struct device *d)
{
	pm_free(d->priv);
}

static int power_button(struct device *d)
{
	pm_press_power_button(d->priv);
	return 0;
}

const struct device_type pm_device_type = {
	.name = "acpi-pm",
	.create = create,
	.reset = reset,
	.free = destroy,
	.power_button = power_button,
};
