// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest-facing platform as partvm builds it with the default config:
 * COM1, the CMOS RTC, the i8042, debug-exit, the ACPI PM1 block and the PCI
 * host bridge (CF8/CFC and ECAM), made from the board's device registry on
 * a VM without KVM and driven only through bus_read()/bus_write(), the way
 * the vCPU loop does. The input is a sequence of 12-byte records:
 *
 *   op (bit 0 write, bits 1-3 size - 1, bits 4-7 0xf: a host event),
 *   target (low nibble: a device range or a raw address; high nibble:
 *   extra address bits), offset (le16), value (le64, zero-extended from
 *   the access size, as the vCPU loop delivers it).
 *
 * Host events are the power button, console input for COM1 and a platform
 * reset (vm_reset()). The devices are made anew for every input.
 *
 * What is checked, against a model written from the chips' specs:
 *   - an access is decoded exactly when it lies inside a registered range
 *     (and the device has that direction); reads of 1-7 bytes fit their
 *     size or read all-ones;
 *   - the UART's registers, receive FIFO (loopback and console input),
 *     LSR, IIR and its IRQ line; the RTC's NVRAM, control registers and
 *     the ranges of its time fields in BCD/binary and 12/24-hour modes;
 *     the PM1 status, enable and control registers and the SCI; the host
 *     bridge's whole config space (write masks, RW1C bits) and the CF8
 *     address register; master aborts elsewhere;
 *   - which accesses stop the VM, and how: debug-exit with (v << 1) | 1,
 *     S5 poweroff, i8042 and CF9 resets; nothing else stops it;
 *   - IRQ lines change only through the device that owns them, and only
 *     to a new level; with no KVM VM, raising one fails with -ENODEV;
 *   - guest RAM (mapped PROT_NONE) is never touched, and no device range
 *     appears or disappears.
 */
// LDFLAGS: -Wl,--wrap=kvm_set_irq_line
#include <errno.h>
#include <linux/serial_reg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include "core/acpi/acpi.h"
#include "core/devices/pm.h"
#include "core/devices/rtc.h"
#include "core/devices/serial.h"
#include "core/vm/console.h"
#include "core/vm/device.h"
#include "core/vm/layout.h"
#include "core/vm/pci.h"
#include "core/util/bytes.h"
#include "core/util/log.h"
#include "../unit/fake_vm.h"

#define RECORD 12
#define FAKE_RAM (16ULL << 20)

static struct vm vm;
static struct vm_config vm_cfg;

/* ---- IRQ lines, as the devices drive them ---- */

int __real_kvm_set_irq_line(struct kvm *k, unsigned gsi, bool level);

static struct { unsigned gsi; bool level; } irq_log[16];
static unsigned irq_n;

int __wrap_kvm_set_irq_line(struct kvm *k, unsigned gsi, bool level)
{
	/* No KVM VM: the real call must refuse without an ioctl. */
	if (__real_kvm_set_irq_line(k, gsi, level) != -ENODEV)
		abort();
	if (irq_n == sizeof(irq_log) / sizeof(irq_log[0]))
		abort();                /* no access changes a line this often */
	irq_log[irq_n].gsi = gsi;
	irq_log[irq_n].level = level;
	irq_n++;
	return -ENODEV;
}

/* ---- The model ---- */

enum dev { D_NONE, D_COM1, D_RTC, D_I8042, D_DEBUG, D_PM, D_CF8, D_ECAM };

struct range {
	enum dev dev;
	bool mmio, readable;
	uint64_t base, len;
};

static const struct range ranges[] = {
	{ D_COM1, false, true, PORT_COM1, 8 },
	{ D_RTC, false, true, PORT_RTC, 2 },
	{ D_I8042, false, true, PORT_I8042_DATA, 5 },
	{ D_DEBUG, false, false, PORT_DEBUG_EXIT, 4 },
	{ D_PM, false, true, PORT_PM1A_EVT, 12 },
	{ D_CF8, false, true, PORT_PCI_CONFIG, 8 },
	{ D_ECAM, true, true, LAYOUT_ECAM_START, LAYOUT_ECAM_SIZE },
};
#define NRANGES (sizeof(ranges) / sizeof(ranges[0]))

struct model {
	/* 16550A */
	uint8_t ier, lcr, mcr, fcr, scr, dll, dlm;
	bool thr_pending, overrun;
	uint8_t rx[SERIAL_RX_BUFFER];
	size_t rx_head, rx_count;
	/* MC146818 */
	uint8_t rtc_index, reg_a, reg_b;
	uint8_t nvram[RTC_CMOS_SIZE];
	/* i8042 */
	uint8_t kbd_cmd;
	/* PM1 */
	uint16_t sts, en, cnt;
	/* PCI */
	uint32_t cf8;
	uint8_t cfg[PCI_CONFIG_SIZE], wmask[PCI_CONFIG_SIZE], w1cmask[PCI_CONFIG_SIZE];
	/* IRQ levels as last set, per GSI we watch */
	bool line_com1, line_sci;
	/* The stop this access should request */
	enum vm_stop_reason stop;
	int stop_status;
};

static struct model m;

static void model_serial_reset(void)
{
	m.ier = m.lcr = m.fcr = m.scr = m.dlm = 0;
	m.mcr = UART_MCR_OUT2;
	m.dll = 0x0c;
	m.thr_pending = m.overrun = false;
	m.rx_head = m.rx_count = 0;
}

static void model_init(struct pci_device *bridge)
{
	memset(&m, 0, sizeof(m));
	model_serial_reset();
	m.reg_a = 0x26;
	m.reg_b = 0x02;
	m.cnt = PM1_CNT_SCI_EN;
	/* The bridge as created: what the guest can change is what the
	 * masks say, whatever the initial bytes are. */
	memcpy(m.cfg, bridge->cfg, sizeof(m.cfg));
	memcpy(m.wmask, bridge->wmask, sizeof(m.wmask));
	memcpy(m.w1cmask, bridge->w1cmask, sizeof(m.w1cmask));
}

static void expect_stop(enum vm_stop_reason r, int status)
{
	if (m.stop == VM_STOP_NONE) {
		m.stop = r;
		m.stop_status = status;
	}
}

/* UART */

static bool loopback(void)
{
	return m.mcr & UART_MCR_LOOP;
}

static bool dlab(void)
{
	return m.lcr & UART_LCR_DLAB;
}

static void rx_push(uint8_t c)
{
	if (m.rx_count == SERIAL_RX_BUFFER) {
		m.overrun = true;
		return;
	}
	m.rx[(m.rx_head + m.rx_count) % SERIAL_RX_BUFFER] = c;
	m.rx_count++;
}

static uint8_t model_iir(void)
{
	uint8_t fifo = (m.fcr & UART_FCR_ENABLE_FIFO) ? 0xc0 : 0;

	if ((m.ier & UART_IER_RLSI) && m.overrun)
		return fifo | UART_IIR_RLSI;
	if ((m.ier & UART_IER_RDI) && m.rx_count)
		return fifo | UART_IIR_RDI;
	if ((m.ier & UART_IER_THRI) && m.thr_pending)
		return fifo | UART_IIR_THRI;
	return fifo | UART_IIR_NO_INT;   /* MSR deltas never happen here */
}

static bool model_com1_line(void)
{
	return !(model_iir() & UART_IIR_NO_INT) && (m.mcr & UART_MCR_OUT2) && !loopback();
}

static uint8_t serial_expect_read(unsigned off)
{
	uint8_t v = 0;

	switch (off) {
	case UART_RX:
		if (dlab())
			return m.dll;
		if (m.rx_count) {
			v = m.rx[m.rx_head];
			m.rx_head = (m.rx_head + 1) % SERIAL_RX_BUFFER;
			m.rx_count--;
		}
		return v;
	case UART_IER:
		return dlab() ? m.dlm : m.ier;
	case UART_IIR:
		v = model_iir();
		if ((v & 0x0f) == UART_IIR_THRI)
			m.thr_pending = false;
		return v;
	case UART_LCR:
		return m.lcr;
	case UART_MCR:
		return m.mcr;
	case UART_LSR:
		/* Transmission is instant; only overrun can be an error. */
		v = UART_LSR_TEMT | UART_LSR_THRE | (m.rx_count ? UART_LSR_DR : 0) |
		    (m.overrun ? UART_LSR_OE : 0);
		m.overrun = false;
		return v;
	case UART_MSR:
		if (!loopback())
			return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
		return ((m.mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
		       ((m.mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
		       ((m.mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
		       ((m.mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0);
	default:
		return m.scr;
	}
}

static void serial_model_write(unsigned off, uint8_t v)
{
	switch (off) {
	case UART_TX:
		if (dlab()) {
			m.dll = v;
			break;
		}
		if (loopback())
			rx_push(v);
		m.thr_pending = true;
		break;
	case UART_IER:
		if (dlab()) {
			m.dlm = v;
			break;
		}
		if (!(m.ier & UART_IER_THRI) && (v & UART_IER_THRI))
			m.thr_pending = true;
		m.ier = v & 0x0f;
		break;
	case UART_FCR:
		if (v & UART_FCR_CLEAR_RCVR)
			m.rx_head = m.rx_count = 0;
		m.fcr = v & (UART_FCR_ENABLE_FIFO | UART_FCR_TRIGGER_MASK);
		break;
	case UART_LCR:
		m.lcr = v;
		break;
	case UART_MCR:
		m.mcr = v & 0x1f;
		break;
	case UART_SCR:
		m.scr = v;
		break;
	}
}

/* RTC */

static bool rtc_time_reg(uint8_t reg)
{
	return reg == 0 || reg == 2 || reg == 4 || (reg >= 6 && reg <= 9) ||
	       reg == RTC_REG_CENTURY;
}

static bool rtc_nvram(uint8_t reg)
{
	return !rtc_time_reg(reg) && (reg < 0x0a || reg > 0x0d);
}

/* V as the RTC encodes it in the current mode, or -1 when it is not a
 * valid encoding (BCD digits above 9). */
static int rtc_decode(uint8_t v)
{
	if (m.reg_b & 0x04)
		return v;
	if ((v & 0x0f) > 9 || (v >> 4) > 9)
		return -1;
	return (v >> 4) * 10 + (v & 0x0f);
}

static void rtc_check_time(uint8_t reg, uint8_t v)
{
	int lo = 0, hi = 99, d;

	switch (reg) {
	case 0: case 2: hi = 59; break;
	case 4:
		if (!(m.reg_b & 0x02)) {
			v &= 0x7f;         /* 12-hour mode: bit 7 is PM */
			lo = 1;
			hi = 12;
		} else {
			hi = 23;
		}
		break;
	case 6: lo = 1; hi = 7; break;
	case 7: lo = 1; hi = 31; break;
	case 8: lo = 1; hi = 12; break;
	case 9: hi = 99; break;
	default: return;          /* the century: any year the guest set */
	}
	d = rtc_decode(v);
	if (d < lo || d > hi)
		abort();
}

static void rtc_check_read(unsigned off, uint8_t v)
{
	uint8_t reg = m.rtc_index;

	if (off == 0) {
		if (v != 0xff)          /* the index port is write-only */
			abort();
		return;
	}
	if (rtc_time_reg(reg))
		rtc_check_time(reg, v);
	else if (reg == 0x0a && v != m.reg_a)
		abort();
	else if (reg == 0x0b && v != m.reg_b)
		abort();
	else if (reg == 0x0c && v != 0)
		abort();                /* no interrupt flags are ever raised */
	else if (reg == 0x0d && v != 0x80)
		abort();
	else if (rtc_nvram(reg) && v != m.nvram[reg])
		abort();
}

static void rtc_model_write(unsigned off, uint8_t v)
{
	if (off == 0) {
		m.rtc_index = v & 0x7f;
		return;
	}
	if (m.rtc_index == 0x0a)
		m.reg_a = v & 0x7f;
	else if (m.rtc_index == 0x0b)
		m.reg_b = v;
	else if (rtc_nvram(m.rtc_index))
		m.nvram[m.rtc_index] = v;
}

/* PM1 */

static int pm_byte(unsigned off)
{
	switch (off) {
	case 0: return m.sts & 0xff;
	case 1: return m.sts >> 8;
	case 2: return m.en & 0xff;
	case 3: return m.en >> 8;
	case 4: return m.cnt & 0xff;
	case 5: return (m.cnt & ~PM1_CNT_SLP_EN) >> 8;
	case 6: case 7: return 0;
	default: return -1;       /* the timer: any value */
	}
}

static void pm_model_write(unsigned off, unsigned size, uint64_t value)
{
	if (size > 4)
		return;
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = (uint8_t)(value >> (8 * i));
		unsigned o = off + i;

		if (o < 2)
			m.sts &= ~((uint16_t)b << (8 * o));
		else if (o < 4)
			m.en = (uint16_t)((m.en & ~(0xff << (8 * (o - 2)))) | (b << (8 * (o - 2))));
		else if (o == 4)
			m.cnt = (m.cnt & 0xff00) | b | PM1_CNT_SCI_EN;
		else if (o == 5) {
			m.cnt = (uint16_t)((m.cnt & 0x00ff) | (b << 8));
			if (m.cnt & PM1_CNT_SLP_EN) {
				if (((m.cnt & PM1_CNT_SLP_TYP_MASK) >> PM1_CNT_SLP_TYP_SHIFT) ==
				    ACPI_SLP_TYP_S5)
					expect_stop(VM_STOP_POWEROFF, 0);
				m.cnt &= ~PM1_CNT_SLP_EN;
			}
		}
	}
}

/* PCI config space: the bridge at 00:00.0 and nothing else. */

static uint32_t config_expect_read(unsigned slot, unsigned fn, unsigned reg, unsigned size)
{
	uint32_t v = 0;

	if ((size != 1 && size != 2 && size != 4) || (reg & (size - 1)) || reg >= PCI_CONFIG_SIZE)
		return ~0U >> (32 - 8 * (size > 4 ? 4 : size));
	if (slot != 0 || fn != 0)
		return ~0U >> (32 - 8 * size);      /* master abort */
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)m.cfg[reg + i] << (8 * i);
	return v;
}

static void config_model_write(unsigned slot, unsigned fn, unsigned reg, unsigned size,
			       uint32_t value)
{
	if ((size != 1 && size != 2 && size != 4) || (reg & (size - 1)) || reg >= PCI_CONFIG_SIZE)
		return;
	if (slot != 0 || fn != 0)
		return;
	for (unsigned i = 0; i < size; i++) {
		unsigned o = reg + i;
		uint8_t v = (uint8_t)(value >> (8 * i));

		m.cfg[o] = (uint8_t)((m.cfg[o] & ~m.wmask[o]) | (v & m.wmask[o]));
		m.cfg[o] &= (uint8_t)~(v & m.w1cmask[o]);
	}
}

/* The config cycle CF8 selects for a data access at port offset OFF. */
static bool cf8_cycle(unsigned off, unsigned size, unsigned *slot, unsigned *fn, unsigned *reg)
{
	if (!(m.cf8 & 0x80000000U) || ((m.cf8 >> 16) & 0xff) != 0 || (off - 4) + size > 4)
		return false;
	*slot = (m.cf8 >> 11) & 0x1f;
	*fn = (m.cf8 >> 8) & 7;
	*reg = (m.cf8 & 0xfc) + (off - 4);
	return true;
}

/* ---- One access ---- */

static const struct range *find_range(bool mmio, uint64_t addr, unsigned size)
{
	for (size_t i = 0; i < NRANGES; i++) {
		const struct range *r = &ranges[i];

		if (r->mmio == mmio && addr >= r->base && addr - r->base + size <= r->len)
			return r;
	}
	return NULL;
}

static bool fits(uint64_t v, unsigned size)
{
	uint64_t mask;

	if (size >= 8)
		return true;
	mask = (1ULL << (8 * size)) - 1;
	return (v & ~mask) == 0 || (v & mask) == mask;
}

static void check_read(const struct range *r, unsigned off, unsigned size, uint64_t v)
{
	unsigned slot, fn, reg;

	if (!fits(v, size))
		abort();
	switch (r->dev) {
	case D_COM1:
		if (size != 1 ? v != ~0ULL : v != serial_expect_read(off))
			abort();
		break;
	case D_RTC:
		if (size != 1) {
			if (v != ~0ULL)
				abort();
			break;
		}
		rtc_check_read(off, (uint8_t)v);
		break;
	case D_I8042:
		if (v != (size != 1 ? ~0ULL : off == 4 ? 0x14 : 0))
			abort();
		break;
	case D_PM:
		if (size > 4) {
			if (v != ~0U)
				abort();
			break;
		}
		if (off >= 8)
			break;          /* the free-running timer */
		for (unsigned i = 0; i < size; i++) {
			int b = pm_byte(off + i);

			if (b >= 0 && ((v >> (8 * i)) & 0xff) != (uint64_t)b)
				abort();
		}
		break;
	case D_CF8:
		if (off == 0 && size == 4) {
			if (v != m.cf8)
				abort();
		} else if (off == 1 && size == 1) {
			if (v != 0)
				abort();
		} else if (off < 4 || !cf8_cycle(off, size, &slot, &fn, &reg)) {
			if (v != ~0ULL)
				abort();
		} else if (v != config_expect_read(slot, fn, reg, size)) {
			abort();
		}
		break;
	case D_ECAM:
		if (size > 4 ? v != ~0ULL
			     : v != config_expect_read((off >> 15) & 0x1f, (off >> 12) & 7,
						       off & 0xfff, size))
			abort();
		break;
	default:
		abort();
	}
}

static void model_write(const struct range *r, unsigned off, unsigned size, uint64_t v)
{
	unsigned slot, fn, reg;

	switch (r->dev) {
	case D_COM1:
		if (size == 1)
			serial_model_write(off, (uint8_t)v);
		break;
	case D_RTC:
		if (size == 1)
			rtc_model_write(off, (uint8_t)v);
		break;
	case D_I8042:
		if (size != 1)
			break;
		if (off == 4) {
			m.kbd_cmd = (uint8_t)v;
			if (m.kbd_cmd == 0xfe)
				expect_stop(VM_STOP_RESET, 0);
		} else if (off == 0) {
			if (m.kbd_cmd == 0xd1 && !(v & 1))
				expect_stop(VM_STOP_RESET, 0);
			m.kbd_cmd = 0;
		}
		break;
	case D_DEBUG:
		if (off == 0 && (size == 1 || size == 2 || size == 4))
			expect_stop(VM_STOP_DEBUG_EXIT, (int)(((v << 1) | 1) & 0xff));
		break;
	case D_PM:
		pm_model_write(off, size, v);
		break;
	case D_CF8:
		if (off == 0 && size == 4)
			m.cf8 = (uint32_t)v;
		else if (off == 1 && size == 1 && (v & 0x04))
			expect_stop(VM_STOP_RESET, 0);
		else if (off >= 4 && cf8_cycle(off, size, &slot, &fn, &reg))
			config_model_write(slot, fn, reg, size, (uint32_t)v);
		break;
	case D_ECAM:
		if (size <= 4)
			config_model_write((off >> 15) & 0x1f, (off >> 12) & 7, off & 0xfff, size,
					   (uint32_t)v);
		break;
	default:
		abort();
	}
}

/* Map a record's target and offset to an address on one of the buses. */
static uint64_t address(uint8_t tgt, uint16_t off, bool *mmio)
{
	uint64_t hi = tgt >> 4;

	*mmio = false;
	switch (tgt & 0x0f) {
	case 0: case 10: return PORT_COM1 + off % 8;
	case 1: case 11: return PORT_RTC + off % 2;
	case 2: return PORT_I8042_DATA + off % 8;
	case 3: return PORT_DEBUG_EXIT + off % 4;
	case 4: case 12: return PORT_PM1A_EVT + off % 16;
	case 5: case 13: return PORT_PCI_CONFIG + off % 8;
	case 6: return off;
	}
	*mmio = true;
	switch (tgt & 0x0f) {
	case 7: case 14: return LAYOUT_ECAM_START + off % 0x1000;
	case 8: case 15: return LAYOUT_ECAM_START + ((uint64_t)off << 4 | hi);
	default: return (uint64_t)off << 16 | hi << 12;
	}
}

/* A host event: the power button, console input, a platform reset. */
static void host_event(uint8_t tgt, uint16_t off, uint64_t value, struct serial *com1)
{
	uint8_t buf[SERIAL_RX_BUFFER + 1];
	size_t n, room;

	switch (tgt % 3) {
	case 0:
		if (vm_power_button(&vm) != 0)
			abort();
		m.sts |= PM1_PWRBTN_STS;
		break;
	case 1:
		n = off % (SERIAL_RX_BUFFER + 1);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)(value + i);
		room = SERIAL_RX_BUFFER - m.rx_count;
		if (serial_receive(com1, buf, n) != (n < room ? n : room))
			abort();
		/* Loopback disconnects the receiver: what fits is dropped. */
		for (size_t i = 0; i < n && i < room && !loopback(); i++)
			rx_push(buf[i]);
		break;
	default:
		if (vm_reset(&vm) != 0)
			abort();
		model_serial_reset();
		m.sts = m.en = 0;
		m.cnt = PM1_CNT_SCI_EN;
		m.cf8 = 0;
		config_model_write(0, 0, PCI_COMMAND, 2, 0);
		break;
	}
}

static void check_lines(const struct range *r, bool host)
{
	bool com1 = host || (r && r->dev == D_COM1), sci = host || (r && r->dev == D_PM);

	for (unsigned i = 0; i < irq_n; i++) {
		bool *line;

		if (irq_log[i].gsi == IRQ_COM1 && com1)
			line = &m.line_com1;
		else if (irq_log[i].gsi == IRQ_SCI && sci)
			line = &m.line_sci;
		else
			abort();        /* a line that access has nothing to do with */
		if (*line == irq_log[i].level)
			abort();        /* only changes are signalled */
		*line = irq_log[i].level;
	}
	irq_n = 0;
	if (m.line_com1 != model_com1_line() || m.line_sci != ((m.sts & m.en) != 0))
		abort();
}

static void check_stop(void)
{
	if (vm.stop_reason != m.stop ||
	    (m.stop != VM_STOP_NONE && vm.stop_status != m.stop_status))
		abort();
	/* Let the next access stop it again. */
	vm.stop_reason = VM_STOP_NONE;
	vm.stop_status = 0;
	vm.state = VM_STATE_RUNNING;
	m.stop = VM_STOP_NONE;
}

static void one(const uint8_t *rec, struct serial *com1)
{
	uint8_t op = rec[0], tgt = rec[1];
	uint16_t off = (uint16_t)(rec[2] | rec[3] << 8);
	uint64_t value = le_get(rec + 4, 8), v = 0xdeadbeefcafef00dULL;
	unsigned size = ((op >> 1) & 7) + 1;
	const struct range *r = NULL;
	bool mmio, decoded, host = false;
	uint64_t addr;

	/* The vCPU loop zero-extends what the guest wrote (bus.h's callers). */
	if (size < 8)
		value &= (1ULL << (8 * size)) - 1;
	if ((op >> 4) == 0xf) {
		host_event(tgt, off, value, com1);
		host = true;
	} else {
		addr = address(tgt, off, &mmio);
		r = find_range(mmio, addr, size);
		if (op & 1) {
			decoded = bus_write(mmio ? &vm.mmio : &vm.pio, addr, size, value);
			if (decoded != (r != NULL))
				abort();
			if (r)
				model_write(r, (unsigned)(addr - r->base), size, value);
		} else {
			decoded = bus_read(mmio ? &vm.mmio : &vm.pio, addr, size, &v);
			if (decoded != (r && r->readable))
				abort();
			if (decoded)
				check_read(r, (unsigned)(addr - r->base), size, v);
		}
	}
	check_lines(r, host);
	check_stop();
}

/* ---- The VM ---- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_max_level(LOG_CRIT);
	fake_vm_init(&vm, &vm_cfg, "fuzz", 1);
	/* Guest RAM exists (the layout places the 64-bit window after it) but
	 * no platform device has any business there. */
	if (memory_map(&vm.mem, FAKE_RAM, MEMORY_BACKING_ANONYMOUS, LAYOUT_DIRECT_BOOT) < 0 ||
	    mprotect(vm.mem.host, vm.mem.host_size, PROT_NONE) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct device *d;
	struct serial *com1;
	uint64_t drain;

	if (bus_init(&vm.pio, "pio") < 0 || bus_init(&vm.mmio, "mmio") < 0 ||
	    pci_host_init(&vm) < 0 || devices_create(&vm, NULL) < 0)
		abort();
	d = device_find(&vm, &serial_device_type);
	if (!d || vm.pio.nranges != 6 || vm.mmio.nranges != 1)
		abort();
	com1 = d->priv;
	model_init(&vm.pci->bridge);
	/* The NVRAM as created (the RAM sizes firmware reads), then the index
	 * back where a fresh RTC has it. */
	for (unsigned reg = 0; reg < RTC_CMOS_SIZE; reg++) {
		uint64_t v = 0;

		if (!rtc_nvram((uint8_t)reg))
			continue;
		if (!bus_write(&vm.pio, PORT_RTC, 1, reg) || !bus_read(&vm.pio, PORT_RTC + 1, 1, &v))
			abort();
		m.nvram[reg] = (uint8_t)v;
	}
	if (!bus_write(&vm.pio, PORT_RTC, 1, 0))
		abort();
	irq_n = 0;

	for (size_t i = 0; i + RECORD <= size; i += RECORD)
		one(data + i, com1);

	/* Every NVRAM byte holds what the guest last wrote there. */
	for (uint8_t reg = 0; reg < RTC_CMOS_SIZE; reg++) {
		uint64_t v = 0;

		if (!rtc_nvram(reg))
			continue;
		if (!bus_write(&vm.pio, PORT_RTC, 1, reg) || !bus_read(&vm.pio, PORT_RTC + 1, 1, &v) ||
		    v != m.nvram[reg])
			abort();
	}
	/* The bridge's config space, byte for byte, and the buses as made. */
	if (memcmp(vm.pci->bridge.cfg, m.cfg, sizeof(m.cfg)) || vm.pio.nranges != 6 ||
	    vm.mmio.nranges != 1 || vm.kvm.vm_fd != -1)
		abort();

	devices_free(&vm);
	console_stop(&vm);
	pci_host_exit(&vm);
	bus_destroy(&vm.pio);
	bus_destroy(&vm.mmio);
	(void)!read(vm.event_fd, &drain, sizeof(drain));
	return 0;
}
