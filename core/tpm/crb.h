/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TPM 2.0 Command Response Buffer interface (TCG PC Client Platform TPM
 * Profile, PTP 1.05, 6.4.2 and 6.5.3), locality 0, at 0xfed40000.
 *
 * The device models the registers and the command/response buffer only;
 * executing commands is the backend's job. A guest's write of CTRL_START
 * hands the command to ops->submit (a copy, bounds-checked), and the
 * backend later calls tpm_crb_complete() or tpm_crb_fail() from any thread.
 * No MMIO handler blocks or allocates.
 */
#ifndef PARTVM_TPM_CRB_H
#define PARTVM_TPM_CRB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TPM_CRB_LOCALITY_SIZE 0x1000
#define TPM_CRB_LOCALITIES    5
/* PTP 6.5.3.2: the control area starts at 0x40; the data buffer follows
 * the registers, at 0x80, up to the end of the locality's page. */
#define TPM_CRB_CTRL_AREA     0x40
#define TPM_CRB_DATA_BUFFER   0x80
#define TPM_CRB_BUFFER_SIZE   (TPM_CRB_LOCALITY_SIZE - TPM_CRB_DATA_BUFFER)

/* Register offsets within a locality (PTP Table 17). */
#define CRB_LOC_STATE         0x00
#define CRB_LOC_CTRL          0x08
#define CRB_LOC_STS           0x0c
#define CRB_INTF_ID           0x30
#define CRB_CTRL_EXT          0x38
#define CRB_CTRL_REQ          0x40
#define CRB_CTRL_STS          0x44
#define CRB_CTRL_CANCEL       0x48
#define CRB_CTRL_START        0x4c
#define CRB_INT_ENABLE        0x50
#define CRB_INT_STS           0x54
#define CRB_CTRL_CMD_SIZE     0x58
#define CRB_CTRL_CMD_LADDR    0x5c
#define CRB_CTRL_CMD_HADDR    0x60
#define CRB_CTRL_RSP_SIZE     0x64
#define CRB_CTRL_RSP_ADDR     0x68

/* Register bits. */
#define CRB_LOC_STATE_TPM_ESTABLISHED  (1u << 0)
#define CRB_LOC_STATE_LOC_ASSIGNED     (1u << 1)
#define CRB_LOC_STATE_ACTIVE_SHIFT     2
#define CRB_LOC_STATE_REG_VALID        (1u << 7)
#define CRB_LOC_CTRL_REQUEST_ACCESS    (1u << 0)
#define CRB_LOC_CTRL_RELINQUISH        (1u << 1)
#define CRB_LOC_CTRL_SEIZE             (1u << 2)
#define CRB_LOC_CTRL_RESET_ESTABLISHED (1u << 3)
#define CRB_LOC_STS_GRANTED            (1u << 0)
#define CRB_LOC_STS_BEEN_SEIZED        (1u << 1)
#define CRB_CTRL_REQ_CMD_READY         (1u << 0)
#define CRB_CTRL_REQ_GO_IDLE           (1u << 1)
#define CRB_CTRL_STS_ERROR             (1u << 0)
#define CRB_CTRL_STS_IDLE              (1u << 1)
#define CRB_CTRL_CANCEL_INVOKE         (1u << 0)
#define CRB_CTRL_START_INVOKE          (1u << 0)

struct tpm_crb_ops {
	/* Run the command CMD (LEN bytes, valid only during the call) tagged
	 * SEQ; answer with tpm_crb_complete(SEQ). Called with the device lock
	 * held: it must only queue. */
	void (*submit)(void *opaque, uint32_t seq, const uint8_t *cmd, size_t len);
	/* The guest asked to cancel the running command. Same rules. */
	void (*cancel)(void *opaque);
};

struct tpm_crb {
	pthread_mutex_t lock;
	uint64_t base;               /* guest-physical base of locality 0 */
	const struct tpm_crb_ops *ops;
	void *opaque;

	bool established;            /* the TPM's tpmEstablished flag */
	bool assigned;               /* locality 0 is active */
	bool idle;                   /* CTRL_STS.tpmIdle */
	bool error;                  /* CTRL_STS.tpmSts: fatal, until reset */
	bool started;                /* CTRL_START: a command runs */
	uint32_t cancel;             /* CTRL_CANCEL as written */
	uint32_t seq;                /* tag of the running command */
	uint32_t buffer_size;        /* <= TPM_CRB_BUFFER_SIZE */
	uint8_t buffer[TPM_CRB_BUFFER_SIZE];
};

/* Set up CRB at guest-physical BASE with a command buffer of BUFFER_SIZE
 * bytes (at most TPM_CRB_BUFFER_SIZE: the backend's limit). */
int tpm_crb_init(struct tpm_crb *crb, uint64_t base, uint32_t buffer_size,
		 const struct tpm_crb_ops *ops, void *opaque);
void tpm_crb_destroy(struct tpm_crb *crb);

/* A platform reset: no locality, idle, no error, buffer cleared; a
 * response still on its way is dropped. ESTABLISHED is the TPM's flag. */
void tpm_crb_reset(struct tpm_crb *crb, bool established);

/* The backend's answer to command SEQ: RSP (LEN bytes). A response that
 * does not fit the buffer, or lacks a header, is a fatal error. */
void tpm_crb_complete(struct tpm_crb *crb, uint32_t seq, const uint8_t *rsp, size_t len);
/* The TPM is gone: report a fatal error (CTRL_STS.tpmSts) from now on. */
void tpm_crb_fail(struct tpm_crb *crb);

/* MMIO handlers for the TPM_CRB_LOCALITIES * TPM_CRB_LOCALITY_SIZE window;
 * OFFSET is relative to BASE, SIZE 1, 2, 4 or 8, any alignment. */
uint64_t tpm_crb_read(void *opaque, uint64_t offset, unsigned size);
void tpm_crb_write(void *opaque, uint64_t offset, unsigned size, uint64_t value);

#endif
