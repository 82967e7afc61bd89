// SPDX-License-Identifier: GPL-2.0-only
/*
 * partvm and a real swtpm (Debian's, as `partvm run --tpm` uses it): the
 * state directory lock, starting swtpm on passed sockets, the control
 * channel, the firmware's measurements read back from the TPM's PCRs
 * (TPM2_PCR_Read) and equal to the event log's replay, a guest command
 * through the CRB and the worker thread, and swtpm dying under a guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/board.h"
#include "core/vm/config.h"
#include "core/tpm/crb.h"
#include "core/tpm/eventlog.h"
#include "core/tpm/firmware.h"
#include "core/tpm/statedir.h"
#include "core/tpm/swtpm.h"
#include "core/tpm/tpm2_cmd.h"
#include "core/tpm/worker.h"

struct fixture {
	char dir[64], state[96], runtime[96];
	char *swtpm_path;
	struct swtpm swtpm;
	bool started;
};

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	strcpy(f.dir, "/tmp/partvm-test-swtpm.XXXXXX");
	assert_non_null(mkdtemp(f.dir));
	snprintf(f.state, sizeof(f.state), "%s/state", f.dir);
	snprintf(f.runtime, sizeof(f.runtime), "%s/run", f.dir);
	assert_int_equal(mkdir(f.state, 0700), 0);
	f.swtpm_path = swtpm_find_program("swtpm");
	assert_non_null(f.swtpm_path);            /* package swtpm */
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	if (f->started)
		swtpm_stop(&f->swtpm);
	free(f->swtpm_path);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void start(struct fixture *f)
{
	const char *why = NULL;
	uint32_t size = 0;
	bool established;

	assert_int_equal(swtpm_start(&f->swtpm, f->swtpm_path, f->state, f->runtime, -1, NULL, &why), 0);
	f->started = true;
	assert_int_equal(swtpm_ctrl_set_buffer_size(&f->swtpm, TPM_CRB_BUFFER_SIZE, &size), 0);
	assert_int_equal(size, TPM_CRB_BUFFER_SIZE);
	assert_int_equal(swtpm_ctrl_init(&f->swtpm), 0);
	assert_int_equal(swtpm_ctrl_get_established(&f->swtpm, &established), 0);
}

/* TPM2_PCR_Read of PCR in bank ALG; returns the digest's size. */
static unsigned pcr_read(struct swtpm *s, uint16_t alg, unsigned pcr, uint8_t *out)
{
	/* TPM2_PCR_Read (0x17e) of one TPMS_PCR_SELECTION. */
	uint8_t cmd[20] = { 0x80, 0x01, 0, 0, 0, 20, 0, 0, 0x01, 0x7e, 0, 0, 0, 1,
			    (uint8_t)(alg >> 8), (uint8_t)alg, 3, 0, 0, 0 };
	uint8_t rsp[256];
	unsigned size;
	uint32_t rc;
	size_t p;
	int n;

	cmd[17 + pcr / 8] = (uint8_t)(1u << (pcr % 8));
	n = swtpm_transact(s, cmd, sizeof(cmd), rsp, sizeof(rsp));
	assert_true(n > 0);
	assert_int_equal(tpm2_response_code(rsp, (size_t)n, &rc), 0);
	assert_int_equal(rc, TPM_RC_SUCCESS);
	/* updateCounter, TPML_PCR_SELECTION (one, 3 bytes), TPML_DIGEST. */
	p = 10 + 4 + 4 + 2 + 1 + 3;
	assert_int_equal(tpm_be32(rsp + p), 1);
	p += 4;
	size = (unsigned)(rsp[p] << 8 | rsp[p + 1]);
	memcpy(out, rsp + p + 2, size);
	return size;
}

static void test_statedir_lock(void **state)
{
	struct fixture *f = *state;
	char owner[128], file[128], why[160];
	int fd;

	assert_int_equal(tpm_statedir_prepare(f->state, why, sizeof(why)), 0);
	fd = tpm_statedir_lock(f->state, "alpha", owner, sizeof(owner));
	assert_true(fd >= 0);
	/* Held by a live process (this one): refused, naming it. */
	assert_int_equal(tpm_statedir_lock(f->state, "beta", owner, sizeof(owner)), -EBUSY);
	snprintf(file, sizeof(file), "'alpha' (pid %d)", (int)getpid());
	assert_string_equal(owner, file);
	close(fd);
	fd = tpm_statedir_lock(f->state, "beta", owner, sizeof(owner));
	assert_true(fd >= 0);
	close(fd);

	/* Not a directory, a comma, a missing parent. */
	snprintf(file, sizeof(file), "%s/file", f->dir);
	fclose(fopen(file, "w"));
	assert_int_equal(tpm_statedir_prepare(file, why, sizeof(why)), -ENOTDIR);
	assert_int_equal(tpm_statedir_prepare("/tmp/a,b", why, sizeof(why)), -EINVAL);
	snprintf(file, sizeof(file), "%s/no/such", f->dir);
	assert_int_equal(tpm_statedir_prepare(file, why, sizeof(why)), -ENOENT);
	assert_false(tpm_statedir_provisioned(f->state));
}

/*
 * A partvm that has exited but is not yet reaped (a zombie) holds no TPM:
 * the lock waits for its swtpm (here a grandchild keeping the lock's fd)
 * to go, rather than refusing the next partvm at once as if the old one
 * still ran.
 */
static void test_statedir_lock_zombie_holder(void **state)
{
	struct fixture *f = *state;
	char owner[128], why[160], c;
	int ready[2], hold[2], fd;
	siginfo_t si = { 0 };
	pid_t child;

	assert_int_equal(tpm_statedir_prepare(f->state, why, sizeof(why)), 0);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(hold), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		int lock = tpm_statedir_lock(f->state, "old", owner, sizeof(owner));

		if (lock < 0)
			_exit(1);
		if (fork() == 0) {             /* its "swtpm": holds the lock */
			close(hold[1]);
			(void)!write(ready[1], "r", 1);
			(void)!read(hold[0], &c, 1);
			_exit(0);
		}
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT), 0);
	/* Its swtpm ends a moment later: the lock is ours then. */
	if (fork() == 0) {
		usleep(300 * 1000);
		close(hold[1]);
		_exit(0);
	}
	close(hold[1]);
	fd = tpm_statedir_lock(f->state, "new", owner, sizeof(owner));
	assert_true(fd >= 0);
	close(fd);
	close(ready[0]);
	assert_int_equal(waitpid(child, NULL, 0), child);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/*
 * Issue 18, defect 5: a state directory someone else owns or can write is
 * refused, naming what is wrong; so is a state file that is a link. (The
 * lock and event-log files are opened with O_NOFOLLOW.)
 */
static void test_statedir_unsafe(void **state)
{
	struct fixture *f = *state;
	char dir[128], link[160], why[160];
	int fd;

	snprintf(dir, sizeof(dir), "%s/unsafe", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(tpm_statedir_prepare(dir, why, sizeof(why)), 0);

	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(tpm_statedir_prepare(dir, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "writable by everyone (mode 0777); chmod go-w it");
	assert_int_equal(chmod(dir, 0770), 0);
	assert_int_equal(tpm_statedir_prepare(dir, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "writable by its group (mode 0770); chmod go-w it");
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(tpm_statedir_prepare(dir, why, sizeof(why)), 0);

	if (geteuid() == 0) {                   /* as in CI and the lab */
		assert_int_equal(chown(dir, 65534, 65534), 0);
		assert_int_equal(tpm_statedir_prepare(dir, why, sizeof(why)), -EPERM);
		assert_non_null(strstr(why, "owned by uid 65534, not by uid 0 that partvm and swtpm run as"));
		assert_int_equal(chown(dir, 0, 0), 0);
	}

	/* A planted link instead of the TPM's state, or of the lock file. */
	snprintf(link, sizeof(link), "%s/" TPM_STATEDIR_STATE, dir);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	assert_int_equal(tpm_statedir_prepare(dir, why, sizeof(why)), -EPERM);
	assert_string_equal(why, TPM_STATEDIR_STATE " in it is not a regular file");
	assert_false(tpm_statedir_provisioned(dir));
	unlink(link);
	snprintf(link, sizeof(link), "%s/" TPM_STATEDIR_LOCK, dir);
	assert_int_equal(symlink("/tmp/partvm-test-elsewhere", link), 0);
	fd = tpm_statedir_lock(dir, "alpha", why, sizeof(why));
	assert_int_equal(fd, -ELOOP);
	assert_int_equal(access("/tmp/partvm-test-elsewhere", F_OK), -1);
	unlink(link);
	rmdir(dir);
}

static void test_measure_and_read_back(void **state)
{
	struct fixture *f = *state;
	static uint8_t log[65536];
	uint8_t want[TPM_MAX_DIGEST], got[TPM_MAX_DIGEST];
	struct tpm_eventlog parsed;
	struct vm_config cfg;
	const char *why = NULL;
	int len;

	start(f);
	config_init(&cfg, board_device_types);
	assert_int_equal(config_set_string(&cfg.cmdline, "console=ttyS0"), 0);
	len = tpm_firmware_measure_boot(&f->swtpm, &cfg, NULL, NULL, log, sizeof(log));
	assert_true(len > 0);
	assert_int_equal(tpm_eventlog_parse(log, sizeof(log), &parsed, &why), 0);
	assert_int_equal(parsed.size, (size_t)len);
	assert_int_equal(parsed.n, 12);
	assert_true(parsed.banks.n >= 1);
	/* Every active bank, every PCR: the TPM holds what the log replays. */
	for (unsigned b = 0; b < parsed.banks.n; b++) {
		for (unsigned pcr = 0; pcr <= 10; pcr++) {
			unsigned size = pcr_read(&f->swtpm, parsed.banks.alg[b], pcr, got);

			assert_int_equal(size, tpm_alg_size(parsed.banks.alg[b]));
			assert_int_equal(tpm_eventlog_replay(parsed.ev, parsed.n, b, parsed.banks.alg[b],
							     pcr, want), 0);
			assert_memory_equal(got, want, size);
		}
	}
	tpm_eventlog_free(&parsed);

	/* A platform reset (CMD_INIT) and a second boot start from zeros. */
	assert_int_equal(swtpm_ctrl_init(&f->swtpm), 0);
	assert_int_equal(tpm_firmware_measure_boot(&f->swtpm, &cfg, NULL, NULL, log, sizeof(log)), len);
	assert_int_equal(tpm_eventlog_parse(log, sizeof(log), &parsed, &why), 0);
	pcr_read(&f->swtpm, parsed.banks.alg[0], 8, got);
	tpm_eventlog_replay(parsed.ev, parsed.n, 0, parsed.banks.alg[0], 8, want);
	assert_memory_equal(got, want, tpm_alg_size(parsed.banks.alg[0]));
	tpm_eventlog_free(&parsed);
	config_free(&cfg);
}

struct guest {
	struct tpm_crb crb;
	struct tpm_worker worker;
};

static void crb_write(struct guest *g, uint64_t off, uint32_t v)
{
	tpm_crb_write(&g->crb, off, 4, v);
}

static uint32_t crb_read(struct guest *g, uint64_t off)
{
	return (uint32_t)tpm_crb_read(&g->crb, off, 4);
}

/* Send CMD through the CRB like Linux's tpm_crb; wait up to 10 s. */
static int guest_command(struct guest *g, const uint8_t *cmd, size_t len, uint8_t *rsp)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	crb_write(g, CRB_LOC_CTRL, CRB_LOC_CTRL_REQUEST_ACCESS);
	crb_write(g, CRB_CTRL_REQ, CRB_CTRL_REQ_CMD_READY);
	for (size_t i = 0; i < len; i++)
		tpm_crb_write(&g->crb, TPM_CRB_DATA_BUFFER + i, 1, cmd[i]);
	crb_write(g, CRB_CTRL_START, CRB_CTRL_START_INVOKE);
	for (int i = 0; i < 1000 && (crb_read(g, CRB_CTRL_START) & CRB_CTRL_START_INVOKE); i++)
		nanosleep(&ts, NULL);
	if (crb_read(g, CRB_CTRL_START) & CRB_CTRL_START_INVOKE)
		return -ETIMEDOUT;
	if (crb_read(g, CRB_CTRL_STS) & CRB_CTRL_STS_ERROR)
		return -EIO;
	for (size_t i = 0; i < 64; i++)
		rsp[i] = (uint8_t)tpm_crb_read(&g->crb, TPM_CRB_DATA_BUFFER + i, 1);
	crb_write(g, CRB_CTRL_REQ, CRB_CTRL_REQ_GO_IDLE);
	crb_write(g, CRB_LOC_CTRL, CRB_LOC_CTRL_RELINQUISH);
	return 0;
}

static void test_guest_commands_and_swtpm_death(void **state)
{
	struct fixture *f = *state;
	static struct guest g;
	uint8_t cmd[12], rsp[64], random_cmd[12] = {
		0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 16,   /* GetRandom(16) */
	};
	struct vm_config cfg;
	static uint8_t log[65536];
	pid_t pid;
	uint32_t rc;

	start(f);
	config_init(&cfg, board_device_types);
	assert_true(tpm_firmware_measure_boot(&f->swtpm, &cfg, NULL, NULL, log, sizeof(log)) > 0);
	config_free(&cfg);
	assert_int_equal(tpm_crb_init(&g.crb, 0xfed40000, TPM_CRB_BUFFER_SIZE,
				      &tpm_worker_crb_ops, &g.worker), 0);
	assert_int_equal(tpm_worker_start(&g.worker, &f->swtpm, &g.crb, NULL), 0);

	assert_int_equal(guest_command(&g, random_cmd, sizeof(random_cmd), rsp), 0);
	assert_int_equal(tpm2_header_size(rsp), 10 + 2 + 16);
	assert_int_equal(tpm_be32(rsp + 6), TPM_RC_SUCCESS);
	/* Startup again: the TPM answers TPM_RC_INITIALIZE, a normal response. */
	tpm2_build_startup(cmd, TPM_SU_CLEAR);
	assert_int_equal(guest_command(&g, cmd, sizeof(cmd), rsp), 0);
	assert_int_equal(tpm2_response_code(rsp, tpm2_header_size(rsp), &rc), 0);
	assert_int_equal(rc, TPM_RC_INITIALIZE);
	assert_int_equal(tpm_worker_quiesce(&g.worker, 1000), 0);

	/* swtpm dies: commands fail at once instead of hanging. */
	pid = f->swtpm.pid;
	assert_int_equal(kill(pid, SIGKILL), 0);
	for (int i = 0; i < 200 && !(crb_read(&g, CRB_CTRL_STS) & CRB_CTRL_STS_ERROR); i++)
		usleep(10000);
	assert_int_equal(crb_read(&g, CRB_CTRL_STS) & CRB_CTRL_STS_ERROR, CRB_CTRL_STS_ERROR);
	assert_int_equal(guest_command(&g, random_cmd, sizeof(random_cmd), rsp), -EIO);
	assert_int_equal(tpm_worker_quiesce(&g.worker, 1000), -EPIPE);
	/* Reaped by the worker: no zombie left. */
	assert_int_equal(f->swtpm.pid, 0);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	tpm_worker_stop(&g.worker);
	tpm_crb_destroy(&g.crb);
}

static void test_stop_reaps(void **state)
{
	struct fixture *f = *state;
	char cmd[160];
	pid_t pid;

	start(f);
	pid = f->swtpm.pid;
	swtpm_stop(&f->swtpm);
	f->started = false;
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	/* The runtime directory holds nothing once swtpm runs. */
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s)\"", f->runtime);
	assert_int_equal(system(cmd), 0);
}

/* user = (issue 18): the directory goes to partvm's user, who runs swtpm;
 * a TPM left by another user is refused, naming both. */
static void test_statedir_for_user(void **state)
{
	struct fixture *f = *state;
	char dir[300], file[340], why[160] = "";
	struct stat st;
	int fd;

	snprintf(dir, sizeof(dir), "%s/user-tpm", f->dir);
	/* mkdtemp's 0700 would keep the user out (checked at the end). */
	assert_int_equal(chmod(f->dir, 0711), 0);
	assert_int_equal(tpm_statedir_prepare_for(dir, 65534, 65534, why, sizeof(why)), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* As root, partvm sees it owned by someone else. */
	assert_int_equal(tpm_statedir_prepare(dir, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "owned by uid 65534, not by uid 0"));
	snprintf(file, sizeof(file), "%s/" TPM_STATEDIR_STATE, dir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(tpm_statedir_prepare_for(dir, 65534, 65534, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, TPM_STATEDIR_STATE " in it belongs to uid 0, not to uid 65534"));
	assert_int_equal(chown(file, 65534, 65534), 0);
	assert_int_equal(tpm_statedir_prepare_for(dir, 65534, 65534, why, sizeof(why)), 0);

	/* Below a directory the user cannot search: said before swtpm fails. */
	assert_int_equal(chmod(f->dir, 0700), 0);
	assert_int_equal(tpm_statedir_prepare_for(dir, 65534, 65534, why, sizeof(why)), -EACCES);
	assert_non_null(strstr(why, "uid 65534 cannot reach it: "));
	assert_non_null(strstr(why, "is mode 0700 of uid 0"));
}

/* swtpm parses what the guest sends: it runs under its own seccomp filter,
 * with no_new_privs. */
static void test_swtpm_seccomp(void **state)
{
	struct fixture *f = *state;
	char path[64], line[256];
	int seccomp = -1, nnp = -1;
	FILE *st;

	start(f);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)f->swtpm.pid);
	st = fopen(path, "r");
	assert_non_null(st);
	while (fgets(line, sizeof(line), st)) {
		sscanf(line, "Seccomp: %d", &seccomp);
		sscanf(line, "NoNewPrivs: %d", &nnp);
	}
	fclose(st);
	assert_int_equal(seccomp, 2);
	assert_int_equal(nnp, 1);
}

static void test_exec_failure(void **state)
{
	struct fixture *f = *state;
	const char *why = NULL;

	assert_int_equal(swtpm_start(&f->swtpm, "/nonexistent/swtpm", f->state, f->runtime, -1, NULL, &why),
			 -ENOENT);
	assert_string_equal(why, "cannot start it");
	swtpm_stop(&f->swtpm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_statedir_unsafe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statedir_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statedir_lock_zombie_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_measure_and_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_commands_and_swtpm_death, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_reaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swtpm_seccomp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statedir_for_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_failure, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
