// SPDX-License-Identifier: GPL-2.0-only
/*
 * The CRB registers of locality 0 (PTP 6.5.3). Localities 1-4 are not
 * implemented (INTF_ID.CapLocality = 0): their pages read as zero, so their
 * LOC_STATE.tpmRegValidSts says so, and ignore writes.
 *
 * Every access is taken apart into bytes: a byte, word, dword or qword at
 * any offset reads the same bytes a dword access would, and a write acts on
 * the bits of the bytes it covers, as Windows' and Linux's accessors need.
 */
#include "core/tpm/crb.h"

#include <errno.h>
#include <string.h>

#include "core/tpm/tpm2_cmd.h"

/* PTP Table 19, TPM_CRB_INTF_ID: a CRB interface, version 1, locality 0
 * only, 64-byte transfers, CRB only and the selector locked to it. */
#define INTF_TYPE_CRB           (1ull << 0)
#define INTF_VERSION_CRB        (1ull << 4)
#define INTF_XFER_SIZE_64       (3ull << 11)
#define INTF_CAP_CRB            (1ull << 14)
#define INTF_SELECTOR_CRB       (1ull << 17)
#define INTF_SELECTOR_LOCK      (1ull << 19)
/* VID/DID: the TPM behind the interface is libtpms (swtpm), whose
 * manufacturer is IBM (PCI vendor 0x1014). */
#define INTF_VID                (0x1014ull << 32)
#define INTF_DID                (0x0001ull << 48)
#define INTF_ID_VALUE (INTF_TYPE_CRB | INTF_VERSION_CRB | INTF_XFER_SIZE_64 | INTF_CAP_CRB | \
		       INTF_SELECTOR_CRB | INTF_SELECTOR_LOCK | INTF_VID | INTF_DID)

int tpm_crb_init(struct tpm_crb *crb, uint64_t base, uint32_t buffer_size,
		 const struct tpm_crb_ops *ops, void *opaque)
{
	if (buffer_size < TPM2_HEADER_SIZE || buffer_size > TPM_CRB_BUFFER_SIZE)
		return -EINVAL;
	memset(crb, 0, sizeof(*crb));
	pthread_mutex_init(&crb->lock, NULL);
	crb->base = base;
	crb->buffer_size = buffer_size;
	crb->ops = ops;
	crb->opaque = opaque;
	tpm_crb_reset(crb, false);
	return 0;
}

void tpm_crb_destroy(struct tpm_crb *crb)
{
	pthread_mutex_destroy(&crb->lock);
}

void tpm_crb_reset(struct tpm_crb *crb, bool established)
{
	pthread_mutex_lock(&crb->lock);
	crb->established = established;
	crb->assigned = false;
	crb->idle = true;
	crb->error = false;
	crb->started = false;
	crb->cancel = 0;
	crb->seq++;                  /* a late response is for a past boot */
	memset(crb->buffer, 0, sizeof(crb->buffer));
	pthread_mutex_unlock(&crb->lock);
}

void tpm_crb_complete(struct tpm_crb *crb, uint32_t seq, const uint8_t *rsp, size_t len)
{
	pthread_mutex_lock(&crb->lock);
	if (crb->started && seq == crb->seq) {
		if (len < TPM2_HEADER_SIZE || len > crb->buffer_size || tpm2_header_size(rsp) != len)
			crb->error = true;
		else
			memcpy(crb->buffer, rsp, len);
		crb->started = false;
	}
	pthread_mutex_unlock(&crb->lock);
}

void tpm_crb_fail(struct tpm_crb *crb)
{
	pthread_mutex_lock(&crb->lock);
	crb->error = true;
	crb->started = false;
	pthread_mutex_unlock(&crb->lock);
}

/* The value of the 32-bit register at REG (dword-aligned, below the data
 * buffer) of locality 0. */
static uint32_t reg_read(const struct tpm_crb *c, unsigned reg)
{
	uint64_t cmd = c->base + TPM_CRB_DATA_BUFFER;

	switch (reg) {
	case CRB_LOC_STATE:
		/* tpmEstablished reads 1 while no dynamic OS was established. */
		return (c->established ? 0 : CRB_LOC_STATE_TPM_ESTABLISHED) |
		       (c->assigned ? CRB_LOC_STATE_LOC_ASSIGNED : 0) |
		       (0u << CRB_LOC_STATE_ACTIVE_SHIFT) | CRB_LOC_STATE_REG_VALID;
	case CRB_LOC_STS:
		return c->assigned ? CRB_LOC_STS_GRANTED : 0;
	case CRB_INTF_ID:
		return (uint32_t)INTF_ID_VALUE;
	case CRB_INTF_ID + 4:
		return (uint32_t)(INTF_ID_VALUE >> 32);
	case CRB_CTRL_STS:
		return (c->error ? CRB_CTRL_STS_ERROR : 0) | (c->idle ? CRB_CTRL_STS_IDLE : 0);
	case CRB_CTRL_CANCEL:
		return c->cancel;
	case CRB_CTRL_START:
		return c->started ? CRB_CTRL_START_INVOKE : 0;
	case CRB_CTRL_CMD_SIZE:
	case CRB_CTRL_RSP_SIZE:
		return c->buffer_size;
	case CRB_CTRL_CMD_LADDR:
	case CRB_CTRL_RSP_ADDR:
		return (uint32_t)cmd;
	case CRB_CTRL_CMD_HADDR:
	case CRB_CTRL_RSP_ADDR + 4:
		return (uint32_t)(cmd >> 32);
	default:
		/* LOC_CTRL and CTRL_REQ are write-only (requests complete at
		 * once), CTRL_EXT is reserved, and there are no interrupts. */
		return 0;
	}
}

/* CTRL_START: check the command's size against the buffer before anything
 * else looks at it; a size out of bounds gets TPM_RC_COMMAND_SIZE, as a
 * TPM answers a malformed header, and never reaches the backend. */
static void start_command(struct tpm_crb *c)
{
	uint32_t size = tpm2_header_size(c->buffer);

	if (size < TPM2_HEADER_SIZE || size > c->buffer_size) {
		tpm2_build_error_response(c->buffer, TPM_RC_COMMAND_SIZE);
		return;
	}
	c->started = true;
	c->idle = false;
	c->seq++;
	c->ops->submit(c->opaque, c->seq, c->buffer, size);
}

/* A write of the bits VAL under MASK to the register at REG. */
static void reg_write(struct tpm_crb *c, unsigned reg, uint32_t val, uint32_t mask)
{
	val &= mask;
	switch (reg) {
	case CRB_LOC_CTRL:
		/* PTP 6.5.3.3: one request at a time. Seize needs a higher
		 * locality, resetEstablishmentBit locality 3 or 4: locality 0
		 * may do neither. */
		if (val == CRB_LOC_CTRL_REQUEST_ACCESS)
			c->assigned = true;
		else if (val == CRB_LOC_CTRL_RELINQUISH && !c->started)
			c->assigned = false;
		return;
	}
	/* The control area belongs to the active locality. */
	if (!c->assigned)
		return;
	switch (reg) {
	case CRB_CTRL_REQ:
		if (val == CRB_CTRL_REQ_CMD_READY)
			c->idle = false;
		else if (val == CRB_CTRL_REQ_GO_IDLE && !c->started)
			c->idle = true;
		break;
	case CRB_CTRL_CANCEL:
		c->cancel = val & CRB_CTRL_CANCEL_INVOKE;
		if (c->cancel && c->started && c->ops->cancel)
			c->ops->cancel(c->opaque);
		break;
	case CRB_CTRL_START:
		if ((val & CRB_CTRL_START_INVOKE) && !c->started && !c->error)
			start_command(c);
		break;
	}
}

uint64_t tpm_crb_read(void *opaque, uint64_t offset, unsigned size)
{
	struct tpm_crb *c = opaque;
	uint64_t value = 0;

	if (size == 0 || size > 8)
		return 0;
	pthread_mutex_lock(&c->lock);
	for (unsigned i = 0; i < size; i++) {
		uint64_t off = offset + i;
		uint8_t byte = 0;

		if (off < TPM_CRB_DATA_BUFFER)
			byte = (uint8_t)(reg_read(c, (unsigned)off & ~3u) >> (8 * (off & 3)));
		else if (off < TPM_CRB_DATA_BUFFER + c->buffer_size)
			byte = c->buffer[off - TPM_CRB_DATA_BUFFER];
		value |= (uint64_t)byte << (8 * i);
	}
	pthread_mutex_unlock(&c->lock);
	return value;
}

void tpm_crb_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
	struct tpm_crb *c = opaque;
	/* An access covers at most three dword registers (8 bytes unaligned). */
	uint32_t val[3] = { 0 }, mask[3] = { 0 };
	unsigned first = 0, nregs = 0;

	if (size == 0 || size > 8)
		return;
	pthread_mutex_lock(&c->lock);
	for (unsigned i = 0; i < size; i++) {
		uint64_t off = offset + i;
		uint8_t byte = (uint8_t)(value >> (8 * i));

		if (off < TPM_CRB_DATA_BUFFER) {
			unsigned reg = (unsigned)off & ~3u, shift = 8 * (off & 3);

			if (!nregs)
				first = reg;
			nregs = (reg - first) / 4 + 1;
			val[(reg - first) / 4] |= (uint32_t)byte << shift;
			mask[(reg - first) / 4] |= 0xffu << shift;
		} else if (off < TPM_CRB_DATA_BUFFER + c->buffer_size && c->assigned) {
			/* The guest may rewrite the buffer while a command runs:
			 * the backend got its own copy. */
			c->buffer[off - TPM_CRB_DATA_BUFFER] = byte;
		}
	}
	for (unsigned r = 0; r < nregs; r++)
		if (mask[r])
			reg_write(c, first + 4 * r, val[r], mask[r]);
	pthread_mutex_unlock(&c->lock);
}
