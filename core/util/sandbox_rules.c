// SPDX-License-Identifier: GPL-2.0-only
/*
 * The allow-lists of the seccomp filters and their compilation by
 * libseccomp. Not part of partvm's run time: core/util/sandbox_gen.c runs
 * sandbox_compile() at build time for every kind and mode, and partvm
 * loads the programs it wrote (libseccomp took about 1 ms of every start,
 * more than the rest of partvm's own set-up but KVM's). The unit tests
 * compile them again and compare.
 */
#include "core/util/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/util/cleanup.h"

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

int sandbox_compile(enum sandbox_mode mode, enum sandbox_kind kind, struct sock_fprog *prog)
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

