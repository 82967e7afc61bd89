// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TPM CRB interface (core/tpm/crb.c) as a guest drives it, with the
 * backend's side injected from the input instead of a swtpm: register and
 * command-buffer accesses of 1-8 bytes at any offset of the five
 * localities (and offsets that wrap), responses of any length and content
 * for the running command or a stale one, a failed TPM, platform resets.
 *
 * The first byte picks the command buffer's size; then records of 12
 * bytes: op (low 3 bits: what; the rest: a size or a mode), a selector,
 * le16, le64; a bulk write and a response take their bytes from the input
 * after their record.
 *
 * A model of the interface (PTP 6.5.3 as crb.h describes it) follows every
 * step, and after each one the device must agree with it:
 *   - LOC_STATE, LOC_STS, CTRL_STS, CTRL_START and CTRL_CANCEL read what
 *     the locality/cmdReady/goIdle/start/cancel handshake says; START is
 *     set only by a start the backend received and cleared only by the
 *     completion of that command, a failure or a reset; a running command
 *     holds the locality, is not idle and is not in error;
 *   - the backend gets exactly the command in the buffer, its length from
 *     its header, within the buffer; a command of bad size never reaches
 *     it and gets TPM_RC_COMMAND_SIZE instead;
 *   - the buffer holds what the guest wrote (with the locality) or the
 *     complete response; a response that does not fit, or whose header
 *     lies about its size, is an error and is not copied; nothing is ever
 *     written past the buffer's size (the device sits at the end of its
 *     own heap allocation, and the unused tail must stay zero);
 *   - reads return only the bytes of their size, zeros past the buffer and
 *     in localities 1-4; sizes, addresses and INTF_ID never change.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/tpm/crb.h"
#include "core/tpm/tpm2_cmd.h"
#include "core/util/bytes.h"
#include "core/vm/layout.h"

#define RECORD 12
#define BASE LAYOUT_TPM_CRB_START

struct model {
	uint32_t size;               /* the buffer's */
	bool established, assigned, idle, error, started;
	uint32_t cancel;
	uint32_t seq;                /* of the command the backend has */
	uint8_t buf[TPM_CRB_BUFFER_SIZE];
	/* What the next step should make the backend see */
	unsigned submits, cancels;
	uint32_t submit_len;
	uint64_t intf_id;
};

static struct model m;
static struct tpm_crb *crb;

/* ---- The backend ---- */

static void on_submit(void *opaque, uint32_t seq, const uint8_t *cmd, size_t len)
{
	/* The command in the buffer, as its header sizes it. */
	if (len < TPM2_HEADER_SIZE || len > m.size || len != tpm2_header_size(cmd) ||
	    len != m.submit_len || memcmp(cmd, m.buf, len) != 0)
		abort();
	m.submits++;
	m.submit_len = (uint32_t)len;
	m.seq = seq;
}

static void on_cancel(void *opaque)
{
	m.cancels++;
}

static const struct tpm_crb_ops ops = { on_submit, on_cancel };

/* ---- The model ---- */

static void model_reset(bool established)
{
	m.established = established;
	m.assigned = m.started = m.error = false;
	m.idle = true;
	m.cancel = 0;
	memset(m.buf, 0, sizeof(m.buf));
}

/* The bits an access of SIZE bytes at OFFSET writes into the dword
 * register at REG, and which ones. */
static bool reg_bits(uint64_t offset, unsigned size, uint64_t value, unsigned reg, uint32_t *val)
{
	bool hit = false;

	*val = 0;
	for (unsigned i = 0; i < size; i++) {
		uint64_t off = offset + i;

		if (off >= reg && off < reg + 4) {
			*val |= (uint32_t)(uint8_t)(value >> (8 * i)) << (8 * (off - reg));
			hit = true;
		}
	}
	return hit;
}

/* START: the command goes to the backend, or its size is refused. */
static void model_start(void)
{
	uint32_t len = tpm2_header_size(m.buf);

	if (len < TPM2_HEADER_SIZE || len > m.size) {
		tpm2_build_error_response(m.buf, TPM_RC_COMMAND_SIZE);
		return;
	}
	m.started = true;
	m.idle = false;
	m.submits--;                 /* one expected */
	m.submit_len = len;
}

static void model_write(uint64_t offset, unsigned size, uint64_t value)
{
	uint32_t val;

	for (unsigned i = 0; i < size; i++) {
		uint64_t off = offset + i;

		if (off >= TPM_CRB_DATA_BUFFER && off < TPM_CRB_DATA_BUFFER + m.size && m.assigned)
			m.buf[off - TPM_CRB_DATA_BUFFER] = (uint8_t)(value >> (8 * i));
	}
	if (reg_bits(offset, size, value, CRB_LOC_CTRL, &val)) {
		/* One request at a time; locality 0 can neither seize nor
		 * reset the establishment bit. */
		if (val == CRB_LOC_CTRL_REQUEST_ACCESS)
			m.assigned = true;
		else if (val == CRB_LOC_CTRL_RELINQUISH && !m.started)
			m.assigned = false;
	}
	if (!m.assigned)
		return;
	if (reg_bits(offset, size, value, CRB_CTRL_REQ, &val)) {
		if (val == CRB_CTRL_REQ_CMD_READY)
			m.idle = false;
		else if (val == CRB_CTRL_REQ_GO_IDLE && !m.started)
			m.idle = true;
	}
	if (reg_bits(offset, size, value, CRB_CTRL_CANCEL, &val)) {
		m.cancel = val & CRB_CTRL_CANCEL_INVOKE;
		if (m.cancel && m.started)
			m.cancels--;
	}
	if (reg_bits(offset, size, value, CRB_CTRL_START, &val) && (val & CRB_CTRL_START_INVOKE) &&
	    !m.started && !m.error)
		model_start();
}

/* The byte a read at OFF should see, or -1 for the registers (checked
 * as a whole by check_registers()). */
static int model_byte(uint64_t off)
{
	if (off < TPM_CRB_DATA_BUFFER)
		return -1;
	if (off < TPM_CRB_DATA_BUFFER + m.size)
		return m.buf[off - TPM_CRB_DATA_BUFFER];
	return 0;
}

/* ---- Checks ---- */

static uint32_t rd32(uint64_t off)
{
	return (uint32_t)tpm_crb_read(crb, off, 4);
}

static void check_registers(void)
{
	uint64_t cmd = BASE + TPM_CRB_DATA_BUFFER;
	uint32_t state = rd32(CRB_LOC_STATE);

	if (state != (CRB_LOC_STATE_REG_VALID | (m.assigned ? CRB_LOC_STATE_LOC_ASSIGNED : 0) |
		      (m.established ? 0 : CRB_LOC_STATE_TPM_ESTABLISHED)))
		abort();
	if (rd32(CRB_LOC_STS) != (m.assigned ? CRB_LOC_STS_GRANTED : 0))
		abort();
	if (rd32(CRB_CTRL_STS) != ((m.error ? CRB_CTRL_STS_ERROR : 0) |
				   (m.idle ? CRB_CTRL_STS_IDLE : 0)))
		abort();
	if (rd32(CRB_CTRL_START) != (m.started ? CRB_CTRL_START_INVOKE : 0) ||
	    rd32(CRB_CTRL_CANCEL) != m.cancel)
		abort();
	/* A running command holds the locality, and is neither idle nor
	 * failed. */
	if (m.started && (!m.assigned || m.idle || m.error))
		abort();
	/* Write-only, reserved and interrupt registers read as zero. */
	if (rd32(CRB_LOC_CTRL) || rd32(CRB_CTRL_EXT) || rd32(CRB_CTRL_EXT + 4) ||
	    rd32(CRB_CTRL_REQ) || rd32(CRB_INT_ENABLE) || rd32(CRB_INT_STS))
		abort();
	if (rd32(CRB_CTRL_CMD_SIZE) != m.size || rd32(CRB_CTRL_RSP_SIZE) != m.size ||
	    rd32(CRB_CTRL_CMD_LADDR) != (uint32_t)cmd || rd32(CRB_CTRL_CMD_HADDR) != cmd >> 32 ||
	    tpm_crb_read(crb, CRB_CTRL_RSP_ADDR, 8) != cmd)
		abort();
	if (tpm_crb_read(crb, CRB_INTF_ID, 8) != m.intf_id)
		abort();
	/* The buffer, and nothing after it. */
	if (memcmp(crb->buffer, m.buf, m.size) != 0)
		abort();
	for (size_t i = m.size; i < TPM_CRB_BUFFER_SIZE; i++)
		if (crb->buffer[i])
			abort();
	if (tpm_crb_read(crb, TPM_CRB_DATA_BUFFER + m.size, 8) != 0 ||
	    tpm_crb_read(crb, TPM_CRB_LOCALITY_SIZE - 8, 8) != (m.size == TPM_CRB_BUFFER_SIZE ?
		    le_get(&m.buf[m.size - 8], 8) : 0))
		abort();
	/* The backend saw what the model expected, no more. */
	if (m.submits != 0 || m.cancels != 0)
		abort();
}

static void check_read(uint64_t offset, unsigned size, uint64_t v)
{
	if (size < 8 && (v >> (8 * size)) != 0)
		abort();
	for (unsigned i = 0; i < size; i++) {
		int b = model_byte(offset + i);

		if (b >= 0 && ((v >> (8 * i)) & 0xff) != (uint64_t)b)
			abort();
	}
}

/* ---- Steps ---- */

static uint64_t offset_of(uint8_t sel, uint16_t off)
{
	switch (sel & 3) {
	case 0: return off % TPM_CRB_DATA_BUFFER;
	case 1: return TPM_CRB_DATA_BUFFER + off % (TPM_CRB_BUFFER_SIZE + 16);
	case 2: return off % (TPM_CRB_LOCALITIES * TPM_CRB_LOCALITY_SIZE);
	default: return (uint64_t)(int64_t)(int16_t)off;   /* wraps around 0 */
	}
}

static void guest_write(uint64_t offset, unsigned size, uint64_t value)
{
	model_write(offset, size, value);
	tpm_crb_write(crb, offset, size, value);
}

/* The backend answers: a response built from the input. */
static size_t complete(uint8_t sel, uint16_t arg, uint64_t value, const uint8_t *p, size_t avail)
{
	uint32_t seq = (sel & 1) ? m.seq : (uint32_t)value;
	size_t len = arg % (TPM_CRB_BUFFER_SIZE + 64), take;
	uint8_t *rsp = malloc(len ? len : 1);

	if (!rsp)
		abort();
	take = len < avail ? len : avail;
	memset(rsp, 0, len);
	memcpy(rsp, p, take);
	if (len >= TPM2_HEADER_SIZE) {
		switch ((sel >> 1) & 3) {
		case 0: case 1:          /* well formed */
			tpm_put_be32(rsp + 2, (uint32_t)len);
			break;
		case 2:                  /* lies about its size */
			tpm_put_be32(rsp + 2, (uint32_t)len + (uint32_t)(value >> 32 | 1));
			break;
		default:                 /* whatever the input says */
			break;
		}
	}
	if (m.started && seq == m.seq) {
		if (len < TPM2_HEADER_SIZE || len > m.size || tpm2_header_size(rsp) != len)
			m.error = true;
		else
			memcpy(m.buf, rsp, len);
		m.started = false;
	}
	tpm_crb_complete(crb, seq, rsp, len);
	free(rsp);
	return take;
}

/* The guest driver's usual steps, to reach deep states sooner. */
static void handshake(uint8_t sel)
{
	switch (sel & 3) {
	case 0: guest_write(CRB_LOC_CTRL, 4, CRB_LOC_CTRL_REQUEST_ACCESS); break;
	case 1: guest_write(CRB_CTRL_REQ, 4, CRB_CTRL_REQ_CMD_READY); break;
	case 2: guest_write(CRB_CTRL_START, 4, CRB_CTRL_START_INVOKE); break;
	default:
		guest_write(CRB_CTRL_REQ, 4, CRB_CTRL_REQ_GO_IDLE);
		guest_write(CRB_LOC_CTRL, 4, CRB_LOC_CTRL_RELINQUISH);
		break;
	}
}

/* Bytes from the input into the buffer, N at a time, as memcpy_toio. */
static size_t bulk_write(uint8_t sel, uint16_t arg, uint64_t value, const uint8_t *p, size_t avail)
{
	static const unsigned widths[] = { 1, 2, 4, 8 };
	unsigned w = widths[sel & 3];
	size_t len = arg % 1024, at = TPM_CRB_DATA_BUFFER + value % TPM_CRB_BUFFER_SIZE;

	if (len > avail)
		len = avail;
	for (size_t i = 0; i + w <= len; i += w)
		guest_write(at + i, w, le_get(p + i, w));
	return len;
}

static size_t step(const uint8_t *rec, const uint8_t *rest, size_t avail)
{
	uint8_t op = rec[0], sel = rec[1];
	uint16_t arg = (uint16_t)(rec[2] | rec[3] << 8);
	uint64_t value = le_get(rec + 4, 8), offset, v;
	unsigned size = ((op >> 3) & 7) + 1;
	size_t used = 0;

	switch (op & 7) {
	case 0: case 7:
		offset = offset_of(sel, arg);
		v = tpm_crb_read(crb, offset, size);
		check_read(offset, size, v);
		break;
	case 1:
		guest_write(offset_of(sel, arg), size, value);
		break;
	case 2:
		used = bulk_write(sel, arg, value, rest, avail);
		break;
	case 3:
		used = complete(sel, arg, value, rest, avail);
		break;
	case 4:
		tpm_crb_fail(crb);
		m.error = true;
		m.started = false;
		break;
	case 5:
		tpm_crb_reset(crb, value & 1);
		model_reset(value & 1);
		break;
	default:
		handshake(sel);
		break;
	}
	check_registers();
	return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tpm_crb bad;
	size_t i = 1;

	if (size < 1)
		return 0;
	memset(&m, 0, sizeof(m));
	m.size = data[0] < 0xc0 ? TPM_CRB_BUFFER_SIZE : TPM2_HEADER_SIZE + (data[0] - 0xc0) * 62u;
	/* Sizes the interface cannot have are refused. */
	if (tpm_crb_init(&bad, BASE, TPM2_HEADER_SIZE - 1, &ops, NULL) != -EINVAL ||
	    tpm_crb_init(&bad, BASE, TPM_CRB_BUFFER_SIZE + 1, &ops, NULL) != -EINVAL)
		abort();
	/* Alone in its allocation, so that a write past it is caught. */
	crb = malloc(sizeof(*crb));
	if (!crb || tpm_crb_init(crb, BASE, m.size, &ops, NULL) != 0)
		abort();
	model_reset(false);
	m.intf_id = tpm_crb_read(crb, CRB_INTF_ID, 8);
	/* A CRB interface, version 1, CRB selected and locked (PTP Table 19). */
	if ((m.intf_id & 0xf) != 1 || ((m.intf_id >> 4) & 0xf) != 1 || !(m.intf_id & (1u << 14)) ||
	    !(m.intf_id & (1u << 19)))
		abort();
	check_registers();

	while (i + RECORD <= size) {
		const uint8_t *rec = data + i;

		i += RECORD;
		i += step(rec, data + i, size - i);
	}
	tpm_crb_destroy(crb);
	free(crb);
	return 0;
}
