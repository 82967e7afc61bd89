// SPDX-License-Identifier: GPL-2.0-only
#include "core/tpm/firmware.h"

#include <errno.h>
#include <string.h>

#include "core/util/log.h"
#include "core/tpm/measure.h"
#include "core/tpm/tpm2_cmd.h"

/* Send CMD (LEN bytes) and check that the TPM answers TPM_RC_SUCCESS. */
static int command(struct swtpm *s, const char *what, const uint8_t *cmd, size_t len,
		   uint8_t *rsp, size_t cap)
{
	uint32_t rc;
	int r = swtpm_transact(s, cmd, len, rsp, cap);

	if (r < 0)
		return log_error_errno(r, "tpm: %s: no answer from swtpm: %m (swtpm's log: %s)",
				       what, s->log_path);
	if (tpm2_response_code(rsp, (size_t)r, &rc) < 0)
		return log_error_errno(-EBADMSG, "tpm: %s: swtpm sent a malformed response", what);
	if (rc != TPM_RC_SUCCESS)
		return log_error_errno(-EIO, "tpm: %s failed: TPM response code %#x", what, rc);
	return r;
}

int tpm_firmware_measure_boot(struct swtpm *s, const struct vm_config *cfg, const char *devices,
			      const struct boot_loaded *loaded, uint8_t *log, size_t cap)
{
	struct tpm_measurements m;
	struct tpm_banks banks;
	uint8_t cmd[512], rsp[4096];
	const char *file;
	uint16_t alg = 0;
	int r, len;

	r = command(s, "TPM2_Startup(CLEAR)", cmd, tpm2_build_startup(cmd, TPM_SU_CLEAR), rsp,
		    sizeof(rsp));
	if (r < 0)
		return r;
	len = command(s, "TPM2_GetCapability(TPM_CAP_PCRS)", cmd, tpm2_build_get_pcr_banks(cmd),
		      rsp, sizeof(rsp));
	if (len < 0)
		return len;
	r = tpm2_parse_pcr_banks(rsp, (size_t)len, &banks, &alg);
	if (r == -EOPNOTSUPP)
		return log_error_errno(r, "tpm: the TPM has a PCR bank with hash algorithm %#x, "
				       "which partvm cannot measure into", alg);
	if (r < 0)
		return log_error_errno(r, "tpm: cannot read the TPM's active PCR banks");

	r = tpm_measure_boot(cfg, devices, loaded, &banks, &m, &file);
	if (r < 0)
		return log_error_errno(r, "tpm: cannot measure '%s': %m", file ? file : "the boot");
	for (size_t i = 0; i < m.n; i++) {
		int clen = tpm2_build_pcr_extend(cmd, sizeof(cmd), m.ev[i].pcr, &banks,
						 (const uint8_t (*)[TPM_MAX_DIGEST])m.ev[i].digest);

		r = clen < 0 ? clen : command(s, "TPM2_PCR_Extend", cmd, (size_t)clen, rsp, sizeof(rsp));
		if (r < 0)
			goto out;
	}
	memset(log, 0, cap);
	r = tpm_eventlog_write(&banks, m.ev, m.n, log, cap);
	if (r < 0)
		log_error_errno(r, "tpm: the event log does not fit in its %zu bytes", cap);
out:
	tpm_measurements_free(&m);
	return r;
}
