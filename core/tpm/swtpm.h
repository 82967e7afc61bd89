/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * swtpm as partvm's child: a TPM 2.0 with its state in a directory, its
 * control channel (swtpm's tpm_ioctl.h CMD_* requests, big-endian) and its
 * data channel (raw TPM commands) on unix sockets that partvm binds in a
 * private runtime directory and hands over already listening. swtpm gets
 * PR_SET_PDEATHSIG(SIGKILL): it dies with partvm, even with partvm's
 * kill -9.
 */
#ifndef PARTVM_TPM_SWTPM_H
#define PARTVM_TPM_SWTPM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* swtpm's control channel commands (swtpm's include/swtpm/tpm_ioctl.h). */
#define SWTPM_CMD_INIT                2
#define SWTPM_CMD_SHUTDOWN            3
#define SWTPM_CMD_GET_TPMESTABLISHED  4
#define SWTPM_CMD_CANCEL_TPM_CMD      9
#define SWTPM_CMD_SET_BUFFERSIZE      17

/* Timeouts: control requests, and TPM commands partvm itself sends (RSA
 * key generation by a guest under emulation can take long). */
#define SWTPM_CTRL_TIMEOUT_MS     30000
#define SWTPM_COMMAND_TIMEOUT_MS  120000

struct swtpm {
	pid_t pid;                   /* 0 once reaped */
	int pidfd;                   /* readable once swtpm exited */
	int ctrl_fd, data_fd;        /* non-blocking */
	int status;                  /* wait status, once reaped */
	pthread_mutex_t ctrl_lock;   /* one control request at a time */
	char *log_path;              /* swtpm's own log, in the state dir */
};

/* The absolute path of PROGRAM found in $PATH (malloc'd), or NULL. */
char *swtpm_find_program(const char *program);

/*
 * Start SWTPM_PATH on the TPM 2 state in STATEDIR. Its sockets go in a
 * fresh directory under RUNTIME_DIR (created if missing) and are removed
 * once both channels are connected. KEEP_FD (or -1) is inherited by swtpm,
 * so a lock on it lasts as long as swtpm does. Returns 0 or a negative
 * errno with *WHY naming the step that failed.
 */
int swtpm_start(struct swtpm *s, const char *swtpm_path, const char *statedir,
		const char *runtime_dir, int keep_fd, const char *runas, const char **why);
/* Shut swtpm down (CMD_SHUTDOWN, then SIGKILL if it lingers) and reap it. */
void swtpm_stop(struct swtpm *s);

/* Reap swtpm if it exited, without waiting. Returns true once it is gone. */
bool swtpm_exited(struct swtpm *s);
/* "exited with status 1", "was killed by signal 9" (for a gone swtpm). */
void swtpm_describe_exit(const struct swtpm *s, char *buf, size_t len);

/* A control request: CMD with REQ (big-endian payload) and a response of
 * exactly RSP_LEN bytes, whose first 4 are swtpm's result. Returns 0, -EIO
 * if the result is not 0, -EPIPE if swtpm hung up, -ETIMEDOUT. */
int swtpm_ctrl(struct swtpm *s, uint32_t cmd, const void *req, size_t req_len, void *rsp,
	       size_t rsp_len, int timeout_ms);
int swtpm_ctrl_init(struct swtpm *s);
int swtpm_ctrl_get_established(struct swtpm *s, bool *established);
int swtpm_ctrl_set_buffer_size(struct swtpm *s, uint32_t want, uint32_t *got);

/* Send one TPM command on the data channel. Returns 0, -EPIPE, -ETIMEDOUT. */
int swtpm_send(struct swtpm *s, const uint8_t *cmd, size_t len, int timeout_ms);
/*
 * Receive one response into BUF (CAP bytes): the length, -EMSGSIZE (larger
 * than CAP: read and dropped, so the channel stays in step), -EBADMSG (not
 * a response header), -EPIPE (swtpm hung up), -ETIMEDOUT, or -EINTR when
 * WAKE_FD (if >= 0) became readable first, the response still pending.
 */
int swtpm_recv(struct swtpm *s, uint8_t *buf, size_t cap, int wake_fd, int timeout_ms);
/* Send CMD and wait for its response (partvm's own commands). */
int swtpm_transact(struct swtpm *s, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap);

#endif
