/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The thread between the CRB and swtpm: it takes the guest's command from
 * the CRB (which only queues it, from a vCPU thread), sends it to swtpm,
 * waits for the response and completes it, and forwards a cancel request.
 * While idle it watches swtpm: if swtpm dies, it says so once and the CRB
 * reports a fatal error from then on, so no guest command ever hangs.
 */
#ifndef PARTVM_TPM_WORKER_H
#define PARTVM_TPM_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/tpm/crb.h"
#include "core/tpm/swtpm.h"

struct sandbox;

struct tpm_worker {
	struct swtpm *swtpm;
	struct tpm_crb *crb;
	const struct sandbox *sandbox;
	pthread_t thread;
	bool running;
	int wake_fd;                 /* eventfd: a command, a cancel, or quit */

	pthread_mutex_t lock;
	pthread_cond_t idle_cond;
	bool quit, pending, busy, cancel, dead;
	uint32_t seq;
	size_t len;
	uint8_t cmd[TPM_CRB_BUFFER_SIZE];
	uint8_t rsp[TPM_CRB_BUFFER_SIZE];
};

/* Start the thread (every signal blocked in it) for S and CRB. */
int tpm_worker_start(struct tpm_worker *w, struct swtpm *s, struct tpm_crb *crb,
		     const struct sandbox *sb);
/* Stop it; a command in flight is abandoned. */
void tpm_worker_stop(struct tpm_worker *w);

/* Wait until no guest command is queued or running: partvm may then use
 * the data channel itself. Returns 0, -ETIMEDOUT, or -EPIPE when swtpm
 * is gone. */
int tpm_worker_quiesce(struct tpm_worker *w, int timeout_ms);

/* The CRB's backend operations, OPAQUE being the worker. */
extern const struct tpm_crb_ops tpm_worker_crb_ops;

#endif
