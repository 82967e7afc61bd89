// SPDX-License-Identifier: GPL-2.0-only
#include "core/util/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/util/log.h"

static const char *const kind_names[SANDBOX_NKINDS] = {
	[SANDBOX_MAIN] = "main",
	[SANDBOX_VCPU] = "vcpu",
	[SANDBOX_IO] = "virtio-queue",
	[SANDBOX_TPM] = "tpm-worker",
	[SANDBOX_CONSOLE] = "console-out",
	[SANDBOX_DMA] = "vfio-dma-map",
};

const char *sandbox_kind_name(enum sandbox_kind kind)
{
	return kind < SANDBOX_NKINDS ? kind_names[kind] : "?";
}

const char *sandbox_mode_name(enum sandbox_mode mode)
{
	switch (mode) {
	case SANDBOX_ON: return "on";
	case SANDBOX_LOG: return "log";
	case SANDBOX_OFF: return "off";
	}
	return "?";
}

int sandbox_parse_mode(const char *s, enum sandbox_mode *mode)
{
	if (!strcmp(s, "on") || !strcmp(s, "yes"))
		*mode = SANDBOX_ON;
	else if (!strcmp(s, "off") || !strcmp(s, "no"))
		*mode = SANDBOX_OFF;
	else if (!strcmp(s, "log"))
		*mode = SANDBOX_LOG;
	else
		return -EINVAL;
	return 0;
}

/* The SIGSYS handler reads these: which sandbox and kind the faulting
 * thread runs in. Thread-local because the handler has no other way to
 * reach the VM's state; set once by sandbox_enter() on each thread. */
static __thread const struct sandbox *current;
static __thread enum sandbox_kind current_kind;

static size_t put(char *buf, size_t at, size_t cap, const char *s)
{
	while (*s && at + 1 < cap)
		buf[at++] = *s++;
	return at;
}

static size_t put_num(char *buf, size_t at, size_t cap, unsigned long v)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < (int)sizeof(digits));
	while (n > 0 && at + 1 < cap)
		buf[at++] = digits[--n];
	return at;
}

/* Async-signal-safe: formats by hand, writes once, ends the process. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char line[256], comm[17] = "?";
	unsigned nr = (unsigned)si->si_syscall;
	size_t at = 0;

	(void)sig;
	(void)uc;
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	at = put(line, at, sizeof(line), "partvm: seccomp: thread ");
	at = put(line, at, sizeof(line), comm);
	at = put(line, at, sizeof(line), " (");
	at = put(line, at, sizeof(line), current ? sandbox_kind_name(current_kind) : "?");
	at = put(line, at, sizeof(line), " filter) made a forbidden system call: ");
	at = put(line, at, sizeof(line), current && nr < current->nnames && current->names[nr] ?
					 current->names[nr] : "unknown");
	at = put(line, at, sizeof(line), " (");
	at = put_num(line, at, sizeof(line), nr);
	at = put(line, at, sizeof(line), "); stopping partvm (seccomp = off turns the filters off)\n");
	(void)!write(STDERR_FILENO, line, at);
	syscall(SYS_exit_group, 128 + SIGSYS);
}

/* seccomp = log only: not worth stopping a partition for. The field is
 * the sandbox's one piece of run-time state; the first thread to set it
 * says so, for all. */
static void log_mode_failed(const struct sandbox *sb, enum sandbox_kind kind, int r)
{
	int none = 0;

	if (__atomic_compare_exchange_n((int *)&sb->log_mode_failure, &none, -r, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		log_warning("seccomp = log: cannot load the %s thread's filter (%s); threads "
			    "whose filter does not load run without one",
			    sandbox_kind_name(kind), strerror(-r));
}

int sandbox_init(struct sandbox *sb, enum sandbox_mode mode)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	int r;

	memset(sb, 0, sizeof(*sb));
	sb->mode = mode;
	sb->test_kind = -1;
	/* glibc reads the time zone (/etc/localtime) the first time anything
	 * converts a time, gmtime_r() included: the RTC does, on a vCPU, whose
	 * filter has no openat. Read it now, before any filter. */
	tzset();
#ifdef PARTVM_TEST_HOOKS
	{
		const char *t = getenv("PARTVM_TEST_SECCOMP");

		for (unsigned k = 0; t && k < SANDBOX_NKINDS; k++)
			if (!strcmp(t, kind_names[k]))
				sb->test_kind = (int)k;
	}
#endif
	if (mode == SANDBOX_OFF)
		return 0;
	/* Compiled when partvm was built (sandbox_gen.c). */
	sb->names = sandbox_syscall_names;
	sb->nnames = SANDBOX_NSYSCALLS;
	for (unsigned k = 0; k < SANDBOX_NKINDS; k++) {
		sb->progs[k] = sandbox_programs[mode == SANDBOX_LOG][k];
		if (sb->progs[k].filter)
			continue;
		/* The build machine's libseccomp would not compile it (seccomp =
		 * log where a filter above hid the kernel's support). */
		if (mode == SANDBOX_LOG) {
			log_mode_failed(sb, k, -EOPNOTSUPP);
		} else {
			sandbox_free(sb);
			return -EOPNOTSUPP;
		}
	}
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		r = -errno;
		sandbox_free(sb);
		return r;
	}
	return 0;
}

void sandbox_free(struct sandbox *sb)
{
	/* The programs and names are the build's, never freed. */
	sb->names = NULL;
	sb->nnames = 0;
	for (unsigned k = 0; k < SANDBOX_NKINDS; k++)
		sb->progs[k] = (struct sock_fprog){ 0 };
}

int sandbox_enter(const struct sandbox *sb, enum sandbox_kind kind)
{
	int r = 0;

	if (kind >= SANDBOX_NKINDS)
		return -EINVAL;
	/* No sandbox_init() (a zeroed struct vm in a unit test): no filter. */
	if (!sb || sb->mode == SANDBOX_OFF || !sb->names)
		return 0;
	if (!sb->progs[kind].filter)
		return 0;   /* seccomp = log and it did not compile: said once */
	/* What seccomp_load() does, with the program compiled already. The
	 * kernel's own error comes back (ENOMEM: the stacked filters' total
	 * length is over its limit). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &sb->progs[kind]) < 0)
		r = -errno;
	if (r < 0 && sb->mode == SANDBOX_LOG) {
		log_mode_failed(sb, kind, r);
		return 0;
	}
	if (r < 0)
		return r;
	current = sb;
	current_kind = kind;
#ifdef PARTVM_TEST_HOOKS
	if (sb->test_kind == (int)kind)
		/* A call no kind allows. */
		syscall(SYS_mknodat, AT_FDCWD, "/nonexistent/partvm-seccomp-test", 0, 0);
#endif
	return 0;
}
