// SPDX-License-Identifier: GPL-2.0-only
#include "core/util/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/log.h"

/* What every thread does: memory (malloc's arenas, thread stacks), locks,
 * time (the vDSO falls back to the system call on some clocksources),
 * signals (kicks, the SIGSYS handler's return), logging to stderr, naming
 * itself, ending. */
static const char *const every_thread[] = {
	"read", "write", "writev", "close", "futex", "madvise", "mmap", "munmap", "mprotect", "brk",
	"mremap", "rt_sigprocmask", "rt_sigreturn", "restart_syscall", "set_robust_list", "rseq",
	"gettid", "getpid", "tgkill", "clock_gettime", "clock_getres", "gettimeofday",
	"clock_nanosleep", "nanosleep", "sched_yield", "prctl", "exit", "exit_group", "getrandom",
	/* The log's first line, from whichever thread, checks whether stderr
	 * is the journal (fstat). */
	"fstat", "newfstatat",
	/* Who am I: libraries ask (libpci, seen from VFIO's DMA-map thread). */
	"getuid", "geteuid", "getgid", "getegid",
	/* [partition] user: glibc switches every thread (SIGSETXID), each
	 * making the call itself; past the switch they cannot regain root. */
	"setresuid", "setresgid", "setgroups",
	NULL,
};

/* The vCPU: KVM_RUN and every exit's handler (PIO/MMIO devices, PCI config
 * of passed-through devices through the VFIO device fd, BAR and MSI-X
 * changes, which are KVM and VFIO ioctls with new eventfds for the
 * vectors), and starting and stopping the virtio queue threads. */
static const char *const vcpu[] = {
	"ioctl", "pread64", "pwrite64", "eventfd2", "poll", "ppoll", "fcntl", "clone", "dup",
	"seccomp",
	NULL,
};

/* A virtio queue's thread: the disk (io_uring, or plain and vectored I/O,
 * flushes, discards), the entropy source, rate timers, irqfd writes. */
static const char *const io[] = {
	"ioctl", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2", "readv",
	"fsync", "fdatasync", "fallocate", "sync_file_range", "io_uring_enter", "io_uring_register",
	"poll", "ppoll", "timerfd_settime", "timerfd_gettime", "lseek", "fstat", "newfstatat",
	NULL,
};

/* The vTPM worker: commands to swtpm over its socket, watching swtpm. */
static const char *const tpm[] = {
	"poll", "ppoll", "sendmsg", "recvmsg", "sendto", "recvfrom", "fcntl", "wait4", "waitid",
	NULL,
};

/* The console writer: the host's stdout. */
static const char *const console[] = {
	"poll", "ppoll", "fcntl",
	NULL,
};

/* The DMA map of guest RAM: VFIO ioctls; then the devices' one-line
 * description, read from sysfs and pci.ids (it sees no guest input). */
static const char *const dma[] = {
	"ioctl", "openat", "newfstatat", "fstat", "readlink", "readlinkat", "lseek", "getdents64",
	"fcntl",
	/* Once mapped, it logs each device with its reset methods, read from
	 * sysfs and config space. */
	"pread64",
	NULL,
};

/* The main thread: the event loop (epoll, signalfd, timers, eventfds),
 * the control socket and sd_notify, every boot after the first (a new KVM
 * VM, its vCPU threads, devices attached, io_uring rings), teardown and
 * exit (VFIO devices given back through sysfs, state and record files,
 * SR-IOV VFs returned over netlink, swtpm stopped and reaped). No exec, no
 * new processes, no mounts, namespaces, ptrace, modules or BPF. */
static const char *const main_thread[] = {
	"ioctl", "pread64", "pwrite64", "readv", "preadv", "pwritev", "lseek", "openat", "open",
	"newfstatat", "fstat", "statx", "fstatfs", "statfs", "access", "faccessat", "faccessat2",
	"readlink", "readlinkat", "getdents64", "fcntl", "dup", "dup2", "dup3", "pipe2", "flock",
	"ftruncate", "fallocate", "fsync", "fdatasync", "unlink", "unlinkat", "rename", "renameat",
	"renameat2", "link", "linkat", "symlink", "symlinkat", "mkdir", "mkdirat", "rmdir",
	"fchmod", "fchmodat", "umask", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
	"poll", "ppoll", "eventfd2", "signalfd4", "timerfd_create", "timerfd_settime",
	"timerfd_gettime", "socket", "socketpair", "bind", "listen", "accept4", "connect",
	"getsockname", "getpeername", "getsockopt", "setsockopt", "sendmsg", "recvmsg", "sendto",
	"recvfrom", "shutdown", "kill", "wait4", "waitid", "pidfd_open", "pidfd_send_signal",
	"io_uring_setup", "io_uring_register", "io_uring_enter", "mlock", "mlock2", "munlock",
	"mlockall", "munlockall", "mbind", "get_mempolicy", "set_mempolicy", "sched_getaffinity",
	"sched_setaffinity", "getuid", "geteuid", "getgid", "getegid", "getppid", "uname",
	"sysinfo", "prlimit64", "getrlimit", "memfd_create", "clone", "pselect6", "select",
	"seccomp", "rt_sigaction",
	NULL,
};

/* Only in sanitizer builds: what the ASan/UBSan/LSan runtime does on any
 * thread (reading /proc/self/maps, its own stacks and signals, the leak
 * check's stop-the-world tracer at exit). */
static const char *const sanitizer_runtime[] = {
	"openat", "readlink", "readlinkat", "newfstatat", "fstat", "prlimit64", "getrlimit",
	"sigaltstack", "rt_sigaction", "sched_getaffinity", "pipe2", "clone", "ptrace", "wait4",
	"waitid", "getppid", "uname", "lseek", "dup", "dup2", "dup3", "sysinfo", "mincore",
	"kill", "pread64", "getdents64", "getdents",
	NULL,
};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif
#ifndef SANITIZER_BUILD
#define SANITIZER_BUILD 0
#endif

static const char *const *const own_list[SANDBOX_NKINDS] = {
	[SANDBOX_MAIN] = main_thread,
	[SANDBOX_VCPU] = vcpu,
	[SANDBOX_IO] = io,
	[SANDBOX_TPM] = tpm,
	[SANDBOX_CONSOLE] = console,
	[SANDBOX_DMA] = dma,
};

/* The kinds a kind's threads create after entering their sandbox, whose
 * calls its filter must therefore allow too. */
static const unsigned children[SANDBOX_NKINDS] = {
	[SANDBOX_MAIN] = 1u << SANDBOX_VCPU | 1u << SANDBOX_IO | 1u << SANDBOX_TPM |
			 1u << SANDBOX_CONSOLE | 1u << SANDBOX_DMA,
	[SANDBOX_VCPU] = 1u << SANDBOX_IO,
};

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

static bool in_list(const char *const *list, const char *name)
{
	for (; list && *list; list++)
		if (!strcmp(*list, name))
			return true;
	return false;
}

bool sandbox_allows(enum sandbox_kind kind, const char *syscall)
{
	if (kind >= SANDBOX_NKINDS)
		return false;
	if (in_list(every_thread, syscall) || (SANITIZER_BUILD && in_list(sanitizer_runtime, syscall)))
		return true;
	for (unsigned k = 0; k < SANDBOX_NKINDS; k++)
		if ((k == kind || (children[kind] & (1u << k))) && in_list(own_list[k], syscall))
			return true;
	return false;
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
	at = put(line, at, sizeof(line), current && nr < current->nnames && current->names[nr][0] ?
					 current->names[nr] : "unknown");
	at = put(line, at, sizeof(line), " (");
	at = put_num(line, at, sizeof(line), nr);
	at = put(line, at, sizeof(line), "); stopping partvm (seccomp = off turns the filters off)\n");
	(void)!write(STDERR_FILENO, line, at);
	syscall(SYS_exit_group, 128 + SIGSYS);
}

static int allow_list(scmp_filter_ctx ctx, const char *const *list)
{
	for (; list && *list; list++) {
		int nr = seccomp_syscall_resolve_name(*list);
		int r;

		if (nr == __NR_SCMP_ERROR)
			continue;           /* not a call on this architecture */
		if (!strcmp(*list, "clone") && !SANITIZER_BUILD)
			/* Threads only: a new process could exec. */
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
		else
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r < 0 && r != -EEXIST)
			return r;
	}
	return 0;
}

static void ctx_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* KIND's filter as a BPF program, compiled by libseccomp into PROG. */
static int compile(enum sandbox_mode mode, enum sandbox_kind kind, struct sock_fprog *prog)
{
	__attribute__((cleanup(ctx_releasep))) scmp_filter_ctx ctx = NULL;
	_cleanup_close_ int fd = -1;
	off_t size;
	int r;

	/* libseccomp refuses an action it finds the kernel lacks, e.g.
	 * SECCOMP_RET_LOG when a filter above (systemd's) hides the seccomp()
	 * call it asks with. */
	ctx = seccomp_init(mode == SANDBOX_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP);
	if (!ctx)
		return -EOPNOTSUPP;
	r = allow_list(ctx, every_thread);
	if (r >= 0 && SANITIZER_BUILD)
		r = allow_list(ctx, sanitizer_runtime);
	for (unsigned k = 0; r >= 0 && k < SANDBOX_NKINDS; k++)
		if (k == kind || (children[kind] & (1u << k)))
			r = allow_list(ctx, own_list[k]);
	/* pthread_create tries clone3 first, whose flags a filter cannot
	 * see; told it is not there, glibc uses clone, whose flags it can. */
	if (r >= 0 && (kind == SANDBOX_MAIN || children[kind]))
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (r < 0)
		return r;
	fd = memfd_create("partvm-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return r;
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter) ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		return -E2BIG;
	prog->filter = malloc((size_t)size);
	if (!prog->filter)
		return -ENOMEM;
	if (pread(fd, prog->filter, (size_t)size, 0) != size) {
		free(prog->filter);
		prog->filter = NULL;
		return -EIO;
	}
	prog->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	return 0;
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
	sb->nnames = 512;
	sb->names = calloc(sb->nnames, sizeof(*sb->names));
	if (!sb->names)
		return -ENOMEM;
	for (unsigned nr = 0; nr < sb->nnames; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)nr);

		if (name) {
			strncpy(sb->names[nr], name, sizeof(sb->names[nr]) - 1);
			free(name);
		}
	}
	for (unsigned k = 0; k < SANDBOX_NKINDS; k++) {
		r = compile(mode, k, &sb->progs[k]);
		if (r < 0 && mode == SANDBOX_LOG) {
			log_mode_failed(sb, k, r);
		} else if (r < 0) {
			sandbox_free(sb);
			return r;
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
	free(sb->names);
	sb->names = NULL;
	sb->nnames = 0;
	for (unsigned k = 0; k < SANDBOX_NKINDS; k++) {
		free(sb->progs[k].filter);
		sb->progs[k] = (struct sock_fprog){ 0 };
	}
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
