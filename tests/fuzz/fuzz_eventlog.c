// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TCG2 event log parser (`partvm tpm eventlog` reads a log a guest
 * could have written into its state directory's copy): any bytes parse or
 * are refused with a reason; a log that parses replays into every PCR of
 * every bank it names, and writing its events back gives a log that parses
 * to the same events.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/tpm/eventlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tpm_eventlog log, again;
	const char *why = NULL;
	uint8_t pcr[TPM_MAX_DIGEST], *buf;
	int r, len;

	r = tpm_eventlog_parse(data, size, &log, &why);
	if (r < 0) {
		if (r == -EBADMSG && !why)
			abort();                /* a refusal always says why */
		return 0;
	}
	if (log.size > size)
		abort();
	for (unsigned b = 0; b < log.banks.n; b++)
		for (uint32_t i = 0; i < 24; i++)
			(void)tpm_eventlog_replay(log.ev, log.n, b, log.banks.alg[b], i, pcr);

	/* Round trip: what parsed is what gets written. */
	buf = malloc(size + 4096);
	if (!buf)
		abort();
	len = tpm_eventlog_write(&log.banks, log.ev, log.n, buf, size + 4096);
	if (len >= 0 && tpm_eventlog_parse(buf, (size_t)len, &again, &why) == 0) {
		if (again.n != log.n)
			abort();
		for (size_t i = 0; i < log.n; i++)
			if (again.ev[i].pcr != log.ev[i].pcr || again.ev[i].type != log.ev[i].type ||
			    again.ev[i].len != log.ev[i].len ||
			    memcmp(again.ev[i].data, log.ev[i].data, log.ev[i].len))
				abort();
		tpm_eventlog_free(&again);
	}
	free(buf);
	tpm_eventlog_free(&log);
	return 0;
}
