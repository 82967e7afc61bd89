/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The TCG2 crypto-agile event log (TCG PC Client Platform Firmware Profile,
 * 10.2 and 10.4.5): a TCG_PCR_EVENT header (SHA-1 format) whose event is
 * the Spec ID Event03 naming every active bank, followed by TCG_PCR_EVENT2
 * entries with one digest per bank. All integers are little-endian.
 */
#ifndef PARTVM_TPM_EVENTLOG_H
#define PARTVM_TPM_EVENTLOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/tpm/digest.h"

/* PC Client PFP 10.4.1, event types partvm records. */
#define EV_NO_ACTION              0x00000003
#define EV_SEPARATOR              0x00000004
#define EV_S_CRTM_VERSION         0x00000008
#define EV_PLATFORM_CONFIG_FLAGS  0x0000000a
#define EV_IPL                    0x0000000d

/* One measurement: the PCR, the type, a digest per bank (DIGEST[i] for
 * the log's BANKS->alg[i]) and the event data. */
struct tpm_event {
	uint32_t pcr;
	uint32_t type;
	uint8_t digest[TPM_MAX_BANKS][TPM_MAX_DIGEST];
	const uint8_t *data;
	uint32_t len;
};

/* Name of an event type ("EV_IPL"), or NULL when partvm has none for it. */
const char *tpm_event_type_name(uint32_t type);

/*
 * Serialize the header for BANKS and the N events into BUF (CAP bytes).
 * Returns the number of bytes written, or -ENOSPC. Bytes after the log are
 * left alone: a reader stops at the first event of all zeros.
 */
int tpm_eventlog_write(const struct tpm_banks *banks, const struct tpm_event *ev, size_t n,
		       uint8_t *buf, size_t cap);

/* A parsed log: the banks of the Spec ID event and the events, whose data
 * points into the parsed buffer. */
struct tpm_eventlog {
	struct tpm_banks banks;
	size_t n;
	struct tpm_event *ev;
	size_t size;                  /* bytes the log occupies */
};

/*
 * Parse LEN bytes at BUF. The log ends at LEN or at an all-zero event
 * (padding). Returns 0, -EBADMSG with *WHY set (the log is malformed:
 * not a crypto-agile log, a digest for an algorithm the header does not
 * list, an event running past the end...), -EOPNOTSUPP (a bank partvm
 * cannot hash) or -ENOMEM.
 */
int tpm_eventlog_parse(const uint8_t *buf, size_t len, struct tpm_eventlog *log,
		       const char **why);
void tpm_eventlog_free(struct tpm_eventlog *log);

/* Replay the events into PCR (of ALG, the log's bank BANK): starting from
 * zeros, extend every event of that PCR except EV_NO_ACTION. */
int tpm_eventlog_replay(const struct tpm_event *ev, size_t n, unsigned bank, uint16_t alg,
			uint32_t pcr, uint8_t *out);

#endif
