/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * seccomp filters, one allow-list per kind of thread (libseccomp, at build
 * time: core/util/sandbox_rules.c, sandbox_gen.c). A thread
 * enters its sandbox itself, once its setup is done; from then on a system
 * call outside its list stops partvm with one line naming the call and the
 * thread (SIGSYS: the filter's action is SECCOMP_RET_TRAP).
 *
 * Filters stack: a thread created by a filtered thread runs under its
 * creator's filter as well as its own. So a kind that creates threads at
 * run time allows what its children need: vCPU threads start the virtio
 * queue threads (on the driver's DRIVER_OK), the main thread creates the
 * vCPU threads of every boot after the first. The lists in sandbox.c say
 * which kind needs what and why.
 */
#ifndef PARTVM_UTIL_SANDBOX_H
#define PARTVM_UTIL_SANDBOX_H

#include <linux/filter.h>
#include <stdbool.h>

enum sandbox_mode {
	SANDBOX_ON,        /* the default: a forbidden call stops partvm */
	SANDBOX_LOG,       /* forbidden calls are logged by the kernel (audit), not stopped */
	SANDBOX_OFF,       /* no filter (debugging) */
};

enum sandbox_kind {
	SANDBOX_MAIN,      /* event loop, control socket, boots, teardown */
	SANDBOX_VCPU,      /* KVM_RUN and the device handlers of its exits */
	SANDBOX_IO,        /* a virtio queue's thread */
	SANDBOX_TPM,       /* the vTPM's worker, talking to swtpm */
	SANDBOX_CONSOLE,   /* the console output writer */
	SANDBOX_DMA,       /* VFIO's DMA map of guest RAM */
	SANDBOX_NKINDS,
};

struct sandbox {
	enum sandbox_mode mode;
	/* System call names by number, for the SIGSYS line (no allocation
	 * in the handler); NULL for a number with none. */
	const char *const *names;
	unsigned nnames;
	/* Test builds only (PARTVM_TEST_HOOKS): PARTVM_TEST_SECCOMP=KIND
	 * makes that kind of thread make a forbidden call once sandboxed. */
	int test_kind;
	/* seccomp = log only: the first filter that could not be loaded
	 * (its errno), for one warning; the threads run on without. */
	int log_mode_failure;
	/* Each kind's filter, compiled when partvm was built: a thread that
	 * enters its sandbox only loads it, allocating nothing. A kind with
	 * no program (seccomp = log, compiling failed) runs without. */
	struct sock_fprog progs[SANDBOX_NKINDS];
};

/* What sandbox_gen.c compiled at build time (the generated
 * sandbox_programs.c): each kind's program, [0] for seccomp = on and [1]
 * for log (a program with no filter: libseccomp would not compile it
 * there), and the system calls' names by number. */
#define SANDBOX_NSYSCALLS 512
extern const struct sock_fprog sandbox_programs[2][SANDBOX_NKINDS];
extern const char *const sandbox_syscall_names[SANDBOX_NSYSCALLS];

/* KIND's filter for MODE (on or log) as a BPF program, compiled by
 * libseccomp into PROG (malloc'ed filter). Build time and tests only
 * (core/util/sandbox_rules.c). */
int sandbox_compile(enum sandbox_mode mode, enum sandbox_kind kind, struct sock_fprog *prog);

/* Before any thread is created: the SIGSYS handler, the name table and
 * every kind's filter (the build's). With seccomp = on, a filter the build
 * could not compile is an error; with log, one warning. */
int sandbox_init(struct sandbox *sb, enum sandbox_mode mode);
void sandbox_free(struct sandbox *sb);

/* Load KIND's filter on the calling thread (nothing with SANDBOX_OFF, or
 * with SB NULL or never initialised, as in unit tests). Returns 0, or a
 * negative errno with seccomp = on (the thread must not go on). With
 * seccomp = log a filter that cannot be loaded is not worth stopping a
 * partition for: the thread goes on without it, and the first such
 * failure in the sandbox is logged, once. */
int sandbox_enter(const struct sandbox *sb, enum sandbox_kind kind);

const char *sandbox_kind_name(enum sandbox_kind kind);
const char *sandbox_mode_name(enum sandbox_mode mode);
int sandbox_parse_mode(const char *s, enum sandbox_mode *mode);

/* Whether KIND's filter lets SYSCALL (a name) through: its own list, its
 * children's, and what every thread needs. */
bool sandbox_allows(enum sandbox_kind kind, const char *syscall);

#endif
