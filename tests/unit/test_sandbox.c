// SPDX-License-Identifier: GPL-2.0-only
/* The seccomp filters (core/util/sandbox.c, sandbox_rules.c): what each thread kind may
 * call, that a kind allows what the threads it creates need, and that the
 * filter really stops a forbidden call with one line naming it, in a
 * forked child so the test process keeps no filter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/devices/rtc.h"
#include "core/util/sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

/* Every kind's filter lets through what its children's filters do: a
 * child thread runs under both. */
static void test_parents_cover_children(void **state)
{
	static const struct { enum sandbox_kind parent, child; } edges[] = {
		{ SANDBOX_MAIN, SANDBOX_VCPU }, { SANDBOX_MAIN, SANDBOX_IO },
		{ SANDBOX_MAIN, SANDBOX_TPM }, { SANDBOX_MAIN, SANDBOX_CONSOLE },
		{ SANDBOX_MAIN, SANDBOX_DMA }, { SANDBOX_VCPU, SANDBOX_IO },
	};
	unsigned checked = 0;

	(void)state;
	for (int nr = 0; nr < 512; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		if (!name)
			continue;
		for (size_t e = 0; e < sizeof(edges) / sizeof(edges[0]); e++)
			if (sandbox_allows(edges[e].child, name) && !sandbox_allows(edges[e].parent, name))
				fail_msg("%s allows %s but its creator %s does not", sandbox_kind_name(edges[e].child),
					 name, sandbox_kind_name(edges[e].parent));
		checked++;
		free(name);
	}
	assert_true(checked > 300);
}

static void test_lists(void **state)
{
	static const char *const never[] = { "execve", "execveat", "fork", "vfork", "mount",
					     "umount2", "pivot_root", "chroot", "setns", "unshare",
					     "bpf", "init_module", "finit_module", "delete_module",
					     "kexec_load", "reboot", "process_vm_writev", "mknodat",
					     "setuid", "setgid", "capset", "keyctl", NULL };

	(void)state;
	for (unsigned k = 0; k < SANDBOX_NKINDS; k++) {
		for (const char *const *n = never; *n; n++)
			if (sandbox_allows(k, *n))
				fail_msg("%s allows %s", sandbox_kind_name(k), *n);
		if (!SANITIZED)
			assert_false(sandbox_allows(k, "ptrace"));
		assert_true(sandbox_allows(k, "futex"));
		assert_true(sandbox_allows(k, "exit_group"));
	}
	assert_true(sandbox_allows(SANDBOX_VCPU, "ioctl"));
	assert_true(sandbox_allows(SANDBOX_VCPU, "io_uring_enter"));      /* its queue threads */
	assert_false(sandbox_allows(SANDBOX_VCPU, "openat") && !SANITIZED);
	assert_false(sandbox_allows(SANDBOX_VCPU, "socket"));
	assert_false(sandbox_allows(SANDBOX_IO, "clone") && !SANITIZED);    /* the leak checker clones */
	assert_false(sandbox_allows(SANDBOX_CONSOLE, "ioctl"));
	assert_false(sandbox_allows(SANDBOX_TPM, "ioctl"));
	assert_true(sandbox_allows(SANDBOX_TPM, "sendto"));
	assert_true(sandbox_allows(SANDBOX_MAIN, "accept4"));
}

static void test_modes(void **state)
{
	enum sandbox_mode m;

	(void)state;
	assert_int_equal(sandbox_parse_mode("on", &m), 0);
	assert_int_equal(m, SANDBOX_ON);
	assert_int_equal(sandbox_parse_mode("log", &m), 0);
	assert_int_equal(m, SANDBOX_LOG);
	assert_int_equal(sandbox_parse_mode("off", &m), 0);
	assert_int_equal(m, SANDBOX_OFF);
	assert_int_equal(sandbox_parse_mode("strict", &m), -EINVAL);
}

static void *thread_fn(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)1;
}

/* The child's sandbox, for FN. */
static struct sandbox *child_sandbox;

/* In a child: enter KIND's filter in MODE (none with SANDBOX_NKINDS, the
 * sandbox only initialised) and run FN; returns the wait status, with the
 * child's stderr in ERR. */
static int in_child(enum sandbox_kind kind, enum sandbox_mode mode, int (*fn)(void), char *err,
		    size_t len)
{
	int p[2], status;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sandbox sb;
		pthread_t t;

		dup2(p[1], STDERR_FILENO);
		/* As in partvm, a thread exists before any filter: glibc's
		 * first pthread_create installs its own signal handlers. */
		if (pthread_create(&t, NULL, thread_fn, NULL) || pthread_join(t, NULL))
			_exit(101);
		if (sandbox_init(&sb, mode) < 0 ||
		    (kind < SANDBOX_NKINDS && sandbox_enter(&sb, kind) < 0))
			_exit(100);
		child_sandbox = &sb;
		_exit(fn());
	}
	close(p[1]);
	n = read(p[0], err, len - 1);
	err[n > 0 ? n : 0] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static int make_socket(void)
{
	return socket(AF_UNIX, SOCK_STREAM, 0) >= 0 ? 0 : 1;
}

static void test_forbidden_call_stops(void **state)
{
	char err[512];
	int status = in_child(SANDBOX_CONSOLE, SANDBOX_ON, make_socket, err, sizeof(err));

	(void)state;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 128 + SIGSYS);
	assert_non_null(strstr(err, "partvm: seccomp: thread "));
	assert_non_null(strstr(err, "(console-out filter) made a forbidden system call: socket (41)"));
	/* One line. */
	assert_non_null(strchr(err, '\n'));
	assert_null(strchr(strchr(err, '\n') + 1, '\n'));
}

static void test_log_mode_lets_it_through(void **state)
{
	char err[512];
	int status = in_child(SANDBOX_CONSOLE, SANDBOX_LOG, make_socket, err, sizeof(err));

	(void)state;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(err, "");
}

static int make_process(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	return pid > 0 ? 0 : 1;
}

static int make_thread(void)
{
	pthread_t t;
	void *ret = NULL;

	/* clone3 is refused with ENOSYS, so that glibc falls back to clone. */
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		return 2;
	if (pthread_create(&t, NULL, thread_fn, NULL) || pthread_join(t, &ret))
		return 3;
	return ret == (void *)1 ? 0 : 4;
}

/* A vCPU thread may start threads, never processes. */
static void test_threads_not_processes(void **state)
{
	char err[512];
	int status = in_child(SANDBOX_VCPU, SANDBOX_ON, make_thread, err, sizeof(err));

	(void)state;
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status))
		fail_msg("thread creation under the vcpu filter: %s", err);
	status = in_child(SANDBOX_VCPU, SANDBOX_ON, make_process, err, sizeof(err));
	assert_true(WIFEXITED(status));
	if (SANITIZED) {
		/* The leak checker's tracer is a process: allowed there. */
		assert_int_equal(WEXITSTATUS(status), 0);
	} else {
		assert_int_equal(WEXITSTATUS(status), 128 + SIGSYS);
		assert_non_null(strstr(err, "(vcpu filter) made a forbidden system call: clone (56)"));
	}
}

/* Filters stack, and the kernel caps their total length (-ENOMEM): as
 * under systemd, whose unit has filters of its own. seccomp = log goes on
 * without and says so once (the warning is checked by the caller); seccomp
 * = on refuses. */
static int stack_until_full_log(void)
{
	struct sandbox sb;
	int n;

	if (sandbox_init(&sb, SANDBOX_LOG) < 0)
		return 10;
	for (n = 0; n < 1000 && !sb.log_mode_failure; n++)
		if (sandbox_enter(&sb, SANDBOX_MAIN) != 0)
			return 11;
	if (sb.log_mode_failure != ENOMEM)
		return 100 + sb.log_mode_failure;
	/* Later failures go on quietly. */
	for (int i = 0; i < 3; i++)
		if (sandbox_enter(&sb, SANDBOX_VCPU) != 0)
			return 12;
	return 0;
}

static int stack_until_full_on(void)
{
	struct sandbox sb;
	int r = 0, n;

	if (sandbox_init(&sb, SANDBOX_ON) < 0)
		return 10;
	for (n = 0; n < 1000 && r == 0; n++)
		r = sandbox_enter(&sb, SANDBOX_MAIN);
	return r == -ENOMEM ? 0 : 11;
}

/* The guest reads the RTC on a vCPU: its first time conversion made glibc
 * open /etc/localtime, which the vCPU's filter forbids (a Debian guest's
 * boot stopped the release build with seccomp = on; the sanitizer build
 * allows openat for its runtime, so only release builds showed it). */
static struct rtc *clock_chip;

static time_t now(void)
{
	return time(NULL);
}

static int read_rtc_seconds(void)
{
	rtc_write_port(clock_chip, 0, 0x00);     /* seconds */
	return rtc_read_port(clock_chip, 1) <= 0x59 ? 0 : 1;
}

static void test_vcpu_reads_the_rtc(void **state)
{
	char err[512];
	int status;

	(void)state;
	clock_chip = rtc_create(now);
	assert_non_null(clock_chip);
	status = in_child(SANDBOX_VCPU, SANDBOX_ON, read_rtc_seconds, err, sizeof(err));
	rtc_free(clock_chip);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(err, "");
}

static void test_filter_space_runs_out(void **state)
{
	char err[512];
	int status;

	(void)state;
	status = in_child(SANDBOX_CONSOLE, SANDBOX_OFF, stack_until_full_log, err, sizeof(err));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* One warning, naming the thread and the kernel's reason. */
	assert_non_null(strstr(err, "seccomp = log: cannot load the main thread's filter (Cannot "
				    "allocate memory)"));
	assert_null(strstr(strstr(err, "seccomp = log:") + 1, "seccomp = log:"));
	status = in_child(SANDBOX_CONSOLE, SANDBOX_OFF, stack_until_full_on, err, sizeof(err));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* malloc's heaps (arenas): "<heap nr=" lines of malloc_info(). */
static int count_heaps(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int n = 0;

	if (!f || malloc_info(0, f) < 0)
		return -1;
	fclose(f);
	for (const char *p = buf; (p = strstr(p, "<heap nr=")); p++)
		n++;
	free(buf);
	return n;
}

static void *enter_console(void *arg)
{
	return (void *)(intptr_t)sandbox_enter(arg, SANDBOX_CONSOLE);
}

static int enter_in_a_thread(void)
{
	int before = count_heaps();
	pthread_t t;
	void *ret;

	if (pthread_create(&t, NULL, enter_console, child_sandbox) || pthread_join(t, &ret))
		return 102;
	if (ret)
		return 103;
	/* Under ASan, malloc is ASan's and glibc's heaps stay as they are. */
	return count_heaps() == before && before > 0 ? 0 : 10 + count_heaps();
}

/* The programs partvm loads are the ones sandbox_compile() makes from
 * today's lists (the build compiled them; a stale or different output
 * would load other filters than the lists say), and the name table is
 * libseccomp's. */
static void test_build_time_programs(void **state)
{
	unsigned compiled = 0;

	(void)state;
	for (int m = 0; m < 2; m++)
		for (unsigned k = 0; k < SANDBOX_NKINDS; k++) {
			struct sock_fprog prog = { 0 };
			const struct sock_fprog *built = &sandbox_programs[m][k];

			if (sandbox_compile(m ? SANDBOX_LOG : SANDBOX_ON, k, &prog) < 0) {
				/* Only log may not compile, and then it was not built. */
				assert_int_equal(m, 1);
				assert_null(built->filter);
				continue;
			}
			assert_non_null(built->filter);
			assert_int_equal(built->len, prog.len);
			assert_memory_equal(built->filter, prog.filter, prog.len * sizeof(*prog.filter));
			free(prog.filter);
			compiled++;
		}
	assert_true(compiled >= SANDBOX_NKINDS);
	for (int nr = 0; nr < SANDBOX_NSYSCALLS; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		if (name)
			assert_string_equal(sandbox_syscall_names[nr], name);
		else
			assert_null(sandbox_syscall_names[nr]);
		free(name);
	}
	assert_string_equal(sandbox_syscall_names[56], "clone");
}

/* A thread that enters its sandbox allocates nothing: the filters were
 * compiled when partvm was built, so no thread gets a malloc arena of its own
 * for it (each cost up to 76 KiB resident when every thread compiled its
 * filter with libseccomp). */
static void test_entering_allocates_nothing(void **state)
{
	char err[512];
	int status;

	(void)state;
	status = in_child(SANDBOX_NKINDS, SANDBOX_ON, enter_in_a_thread, err, sizeof(err));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(err, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parents_cover_children),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_forbidden_call_stops),
		cmocka_unit_test(test_log_mode_lets_it_through),
		cmocka_unit_test(test_threads_not_processes),
		cmocka_unit_test(test_filter_space_runs_out),
		cmocka_unit_test(test_vcpu_reads_the_rtc),
		cmocka_unit_test(test_entering_allocates_nothing),
		cmocka_unit_test(test_build_time_programs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
