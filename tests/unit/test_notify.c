// SPDX-License-Identifier: GPL-2.0-only
/* sd_notify messages, read from a fake NOTIFY_SOCKET: their exact text,
 * the watchdog interval, and what the service sends through a partition's
 * life: booting, READY=1 once, paused, and SIGTERM's graceful path (the
 * power button, then a stop after shutdown-timeout, 143); libsystemd is
 * mapped only once NOTIFY_SOCKET asks for it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/mapped.h"
#include "core/service/control.h"
#include "core/devices/pm.h"
#include "core/vm/device.h"
#include "core/vm/loop.h"
#include "core/service/notify.h"
#include "core/service/service.h"
#include "tests/unit/fake_vm.h"

/* The loop runs until the VM has a stop request, as vm_wait() does. */
static bool stopped(void *opaque)
{
	return vm_stop_requested(opaque);
}

static char dir[] = "/tmp/partvm-notify-XXXXXX";
static char sock_path[64];
static int notify_fd = -1;

static int setup(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (!mkdtemp(dir))
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/notify", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0 || bind(notify_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	setenv("NOTIFY_SOCKET", sock_path, 1);
	setenv("PARTVM_RUNTIME_DIR", dir, 1);
	return 0;
}

static int teardown(void **state)
{
	close(notify_fd);
	unlink(sock_path);
	rmdir(dir);
	return 0;
}

/* The next datagram, or "" when none arrives within TIMEOUT_MS. */
static const char *next_msg(int timeout_ms)
{
	static char buf[1024];
	struct pollfd p = { .fd = notify_fd, .events = POLLIN };
	ssize_t n;

	buf[0] = '\0';
	if (poll(&p, 1, timeout_ms) != 1)
		return buf;
	n = recv(notify_fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void drain(void)
{
	while (*next_msg(0))
		;
}

/* libsystemd (and what it pulls in) is mapped only under a service
 * manager: partvm started by hand does without its 0.7 MiB. The first
 * test: the ones after it send through the library it loads. */
static void test_loaded_on_demand(void **state)
{
	char why[128] = "";

	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_init(why, sizeof(why)), 0);
	assert_false(lib_mapped("libsystemd"));
	assert_int_equal(notify_booting(1), 0);
	assert_int_equal(notify_watchdog_interval_usec(), 0);

	setenv("NOTIFY_SOCKET", sock_path, 1);
	/* A library that cannot be had is said (run refuses to start). */
	assert_int_equal(notify_load("libpartvm-nosuch.so.0", why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "libpartvm-nosuch.so.0"));
	assert_int_equal(notify_booting(1), 0);
	assert_string_equal(next_msg(100), "");

	assert_int_equal(notify_init(why, sizeof(why)), 0);
	assert_true(lib_mapped("libsystemd"));
	assert_true(notify_booting(1) > 0);
	assert_string_equal(next_msg(1000), "STATUS=booting");
	/* Once is enough. */
	assert_int_equal(notify_init(why, sizeof(why)), 0);
}

static void test_messages(void **state)
{
	drain();
	assert_true(notify_booting(1) > 0);
	assert_string_equal(next_msg(1000), "STATUS=booting");
	notify_booting(3);
	assert_string_equal(next_msg(1000), "STATUS=rebooting (boot 3)");
	notify_running(true, 2, 512ULL << 20);
	assert_string_equal(next_msg(1000), "READY=1\nSTATUS=running: 2 vCPUs, 512 MiB");
	notify_running(false, 1, 256ULL << 20);
	assert_string_equal(next_msg(1000), "STATUS=running: 1 vCPU, 256 MiB");
	notify_paused();
	assert_string_equal(next_msg(1000), "STATUS=paused");
	notify_shutting_down(30);
	assert_string_equal(next_msg(1000), "STOPPING=1\nSTATUS=shutting down: ACPI power button pressed, "
					    "stopping the guest in 30 s unless it powers off\n"
					    "EXTEND_TIMEOUT_USEC=45000000");
	notify_shutting_down(0);
	assert_string_equal(next_msg(1000), "STATUS=shutting down: ACPI power button pressed");
	notify_stopping("the guest powered off");
	assert_string_equal(next_msg(1000), "STOPPING=1\nSTATUS=stopping: the guest powered off");
	notify_watchdog();
	assert_string_equal(next_msg(1000), "WATCHDOG=1");
	/* A long status goes whole (sd_notifyf() never cut one). */
	char why[701], want[800];
	memset(why, 'x', sizeof(why) - 1);
	why[sizeof(why) - 1] = '\0';
	notify_stopping(why);
	snprintf(want, sizeof(want), "STOPPING=1\nSTATUS=stopping: %s", why);
	assert_string_equal(next_msg(1000), want);

	/* Not under systemd: nothing sent, no error. */
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_running(true, 1, 1ULL << 30), 0);
	assert_string_equal(next_msg(100), "");
	setenv("NOTIFY_SOCKET", sock_path, 1);
}

static void test_watchdog_interval(void **state)
{
	char pid[32];

	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	assert_true(notify_watchdog_interval_usec() == 0);
	snprintf(pid, sizeof(pid), "%d", getpid());
	setenv("WATCHDOG_USEC", "4000000", 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_true(notify_watchdog_interval_usec() == 2000000);
	/* Meant for another process (a child that inherited it). */
	setenv("WATCHDOG_PID", "1", 1);
	assert_true(notify_watchdog_interval_usec() == 0);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

static void stop_soon(struct loop *l, int fd, uint32_t events, void *opaque)
{
	uint64_t n;

	(void)!read(fd, &n, sizeof(n));
	vm_request_stop(opaque, VM_STOP_POWEROFF, 0);
}

static void execute(struct vm *vm, const char *req)
{
	char *reply = NULL;

	assert_int_equal(control_execute(vm, req, strlen(req), &reply), 0);
	assert_non_null(strstr(reply, "\"ok\":true"));
	free(reply);
}

/* Boot, pause, resume, reboot, guest poweroff: the messages in order;
 * READY=1 only once; the control socket exists while it runs. */
static void test_service_lifecycle(void **state)
{
	struct vm_config cfg;
	struct loop *loop;
	struct vm vm;
	char path[256];
	struct stat st;
	char pid[32];

	fake_vm_init(&vm, &cfg, "life", 1);
	vm.vcpus[0].tid = gettid();
	/* The watchdog ticks from the loop every WatchdogSec/2. */
	snprintf(pid, sizeof(pid), "%d", getpid());
	setenv("WATCHDOG_USEC", "200000", 1);
	setenv("WATCHDOG_PID", pid, 1);
	loop = loop_create();
	assert_non_null(loop);
	drain();

	assert_int_equal(service_start(&vm, loop), 0);
	snprintf(path, sizeof(path), "%s/life.sock", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_string_equal(service_state(&vm), "booting");
	service_booting(&vm);
	assert_string_equal(next_msg(1000), "STATUS=booting");
	service_booted(&vm);
	assert_string_equal(next_msg(1000), "READY=1\nSTATUS=running: 1 vCPU, 256 MiB");
	assert_string_equal(service_state(&vm), "running");

	/* vm_pause() waits for the vCPU to park; this one has no thread. */
	vm.ncpus = 0;
	execute(&vm, "{\"command\":\"pause\"}");
	assert_string_equal(next_msg(1000), "STATUS=paused");
	assert_string_equal(service_state(&vm), "paused");
	vm.ncpus = 1;
	execute(&vm, "{\"command\":\"resume\"}");
	assert_string_equal(next_msg(1000), "STATUS=running: 1 vCPU, 256 MiB");

	/* A reboot: no second READY=1. */
	vm.boots = 1;
	service_booting(&vm);
	assert_string_equal(next_msg(1000), "STATUS=rebooting (boot 2)");
	assert_string_equal(service_state(&vm), "booting");
	service_booted(&vm);
	assert_string_equal(next_msg(1000), "STATUS=running: 1 vCPU, 256 MiB");

	/* The loop pings the watchdog every 0.1 s while it turns. */
	{
		int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		struct itimerspec its = { .it_value = { 0, 450 * 1000000 } };
		const char *m;
		unsigned pings = 0;

		assert_true(tfd >= 0);
		assert_int_equal(timerfd_settime(tfd, 0, &its, NULL), 0);
		assert_int_equal(loop_add(loop, tfd, EPOLLIN, stop_soon, &vm), 0);
		assert_int_equal(loop_run(loop, stopped, &vm), 0);
		while (*(m = next_msg(0))) {
			assert_string_equal(m, "WATCHDOG=1");
			pings++;
		}
		if (pings < 2 || pings > 5)
			fail_msg("%u watchdog pings in 0.45 s at a 0.1 s interval", pings);
		loop_remove(loop, tfd);
		close(tfd);
	}
	vm.stop_reason = VM_STOP_POWEROFF;
	service_stop(&vm);
	assert_string_equal(next_msg(1000), "STOPPING=1\nSTATUS=stopping: the guest powered off");
	assert_int_equal(stat(path, &st), -1);
	assert_null(vm.service);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	loop_free(loop);
	fake_vm_free(&vm, &cfg);
}

static uint64_t fake_now(void *ctx)
{
	return 0;
}

static void fake_sci(void *ctx, bool level)
{
	*(bool *)ctx = level;
}

static void fake_sleep(void *ctx, unsigned typ)
{
}

struct sigterm_vm {
	struct vm vm;
	struct vm_config cfg;
	struct loop *loop;
	bool sci;
	/* The VM's one device: the PM block with its power button. */
	struct pm *pm;
	struct device pm_dev;
	struct device *devices[1];
};

static void sigterm_vm_init(struct sigterm_vm *t, unsigned timeout)
{
	struct pm_hooks hooks = { .sci = fake_sci, .sleep = fake_sleep, .now_ns = fake_now, .ctx = &t->sci };

	unsetenv("WATCHDOG_USEC");
	fake_vm_init(&t->vm, &t->cfg, "term", 0);
	t->cfg.shutdown_timeout = timeout;
	t->pm = pm_create(&hooks);
	assert_non_null(t->pm);
	t->pm_dev = (struct device){ .type = &pm_device_type, .vm = &t->vm, .priv = t->pm };
	t->devices[0] = &t->pm_dev;
	t->vm.devices = t->devices;
	t->vm.ndevices = 1;
	/* The guest's ACPI driver enables the power button event. */
	pm_write(t->pm, 2, 2, PM1_PWRBTN_EN);
	t->loop = loop_create();
	assert_non_null(t->loop);
	assert_int_equal(service_start(&t->vm, t->loop), 0);
	service_booted(&t->vm);
	drain();
}

static void sigterm_vm_free(struct sigterm_vm *t)
{
	service_stop(&t->vm);
	loop_free(t->loop);
	pm_free(t->pm);
	t->vm.devices = NULL;
	t->vm.ndevices = 0;
	fake_vm_free(&t->vm, &t->cfg);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* SIGTERM: the power button (PWRBTN_STS, SCI), STOPPING=1 with the
 * deadline; a guest that ignores it is stopped after shutdown-timeout
 * with 143. */
static void test_sigterm_deadline(void **state)
{
	struct sigterm_vm t;
	struct timespec t0;
	double took;

	sigterm_vm_init(&t, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	service_sigterm(&t.vm);
	assert_true(pm_read(t.pm, 0, 2) & PM1_PWRBTN_STS);
	assert_true(t.sci);
	assert_string_equal(next_msg(1000), "STOPPING=1\nSTATUS=shutting down: ACPI power button pressed, "
					    "stopping the guest in 1 s unless it powers off\n"
					    "EXTEND_TIMEOUT_USEC=16000000");
	assert_string_equal(service_state(&t.vm), "shutting-down");
	assert_int_equal(t.vm.stop_reason, VM_STOP_NONE);

	assert_int_equal(loop_run(t.loop, stopped, &t.vm), 0);
	took = seconds_since(&t0);
	if (took < 0.95 || took > 5)
		fail_msg("stopped after %.2f s, shutdown-timeout is 1 s", took);
	assert_int_equal(t.vm.stop_reason, VM_STOP_SIGNAL);
	assert_int_equal(t.vm.stop_status, 128 + SIGTERM);
	assert_string_equal(next_msg(1000), "STOPPING=1\nSTATUS=stopping: shutdown-timeout expired");
	sigterm_vm_free(&t);
}

/* A second SIGTERM, or shutdown-timeout = 0, stops at once. */
static void test_sigterm_immediate(void **state)
{
	struct sigterm_vm t;

	sigterm_vm_init(&t, 30);
	service_sigterm(&t.vm);
	assert_non_null(strstr(next_msg(1000), "stopping the guest in 30 s"));
	assert_int_equal(t.vm.stop_reason, VM_STOP_NONE);
	service_sigterm(&t.vm);
	assert_int_equal(t.vm.stop_reason, VM_STOP_SIGNAL);
	assert_int_equal(t.vm.stop_status, 143);
	assert_string_equal(next_msg(1000), "STOPPING=1\nSTATUS=stopping: SIGTERM");
	sigterm_vm_free(&t);

	sigterm_vm_init(&t, 0);
	service_sigterm(&t.vm);
	assert_int_equal(t.vm.stop_reason, VM_STOP_SIGNAL);
	assert_false(pm_read(t.pm, 0, 2) & PM1_PWRBTN_STS);
	sigterm_vm_free(&t);
}

/* A paused guest is resumed so that it can act on the button; the
 * control socket's shutdown presses it without a deadline. */
static void test_sigterm_paused_and_shutdown(void **state)
{
	struct sigterm_vm t;

	sigterm_vm_init(&t, 30);
	execute(&t.vm, "{\"command\":\"pause\"}");
	drain();
	service_sigterm(&t.vm);
	assert_int_equal(t.vm.state, VM_STATE_RUNNING);
	assert_true(pm_read(t.pm, 0, 2) & PM1_PWRBTN_STS);
	sigterm_vm_free(&t);

	sigterm_vm_init(&t, 30);
	execute(&t.vm, "{\"command\":\"shutdown\"}");
	assert_true(pm_read(t.pm, 0, 2) & PM1_PWRBTN_STS);
	assert_string_equal(next_msg(1000), "STATUS=shutting down: ACPI power button pressed");
	assert_string_equal(service_state(&t.vm), "shutting-down");
	/* No deadline: nothing stops the guest. */
	assert_string_equal(next_msg(200), "");
	assert_int_equal(t.vm.stop_reason, VM_STOP_NONE);
	sigterm_vm_free(&t);
}

/* ready-on = guest: the vCPUs running is not READY=1; the guest's own
 * READY=1 (what its systemd sends over vsock, handed to vm->guest_notify)
 * is, with its status made printable and cut; other lines are ignored; a
 * reboot waits for the guest again without a second READY=1. */
static void test_ready_on_guest(void **state)
{
	struct vm_config cfg;
	struct loop *loop;
	struct vm vm;
	char msg[512];

	fake_vm_init(&vm, &cfg, "guestready", 2);
	cfg.ready_on_guest = true;
	vm.vcpus[0].tid = vm.vcpus[1].tid = gettid();
	unsetenv("WATCHDOG_USEC");
	loop = loop_create();
	assert_non_null(loop);
	drain();
	assert_int_equal(service_start(&vm, loop), 0);
	assert_non_null(vm.guest_notify);
	service_booting(&vm);
	assert_string_equal(next_msg(1000), "STATUS=booting");
	service_booted(&vm);
	assert_string_equal(next_msg(1000),
			    "STATUS=running: 2 vCPUs, 256 MiB; waiting for the guest's READY=1");
	/* Not READY: status only, or other keys. */
	vm.guest_notify(&vm, "X_SYSTEMD_UNIT_ACTIVE=basic.target\nSTATUS=Starting\x01 up");
	assert_string_equal(next_msg(200), "");
	vm.guest_notify(&vm, "READY=1");
	assert_string_equal(next_msg(1000), "READY=1\nSTATUS=running: 2 vCPUs, 256 MiB; the guest is up "
			    "(its READY=1: Starting? up)");
	/* Again: nothing more. */
	vm.guest_notify(&vm, "READY=1\nSTATUS=again");
	assert_string_equal(next_msg(200), "");
	/* A long status is cut, not sent whole. */
	memset(msg, 'x', sizeof(msg) - 1);
	memcpy(msg, "STATUS=", 7);
	msg[sizeof(msg) - 1] = '\0';
	vm.boots = 1;
	service_booting(&vm);
	assert_string_equal(next_msg(1000), "STATUS=rebooting (boot 2)");
	service_booted(&vm);
	assert_string_equal(next_msg(1000),
			    "STATUS=running: 2 vCPUs, 256 MiB; waiting for the guest's READY=1");
	vm.guest_notify(&vm, msg);
	vm.guest_notify(&vm, "READY=1");
	{
		const char *m = next_msg(1000);

		assert_non_null(strstr(m, "STATUS=running: 2 vCPUs, 256 MiB; the guest is up (its READY=1: xxx"));
		assert_null(strstr(m, "READY=1\n"));   /* no second READY=1 */
		assert_true(strlen(m) < 250);
	}
	vm.stop_reason = VM_STOP_POWEROFF;
	service_stop(&vm);
	drain();
	assert_null(vm.guest_notify);
	loop_free(loop);
	fake_vm_free(&vm, &cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loaded_on_demand),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_watchdog_interval),
		cmocka_unit_test(test_service_lifecycle),
		cmocka_unit_test(test_sigterm_deadline),
		cmocka_unit_test(test_sigterm_immediate),
		cmocka_unit_test(test_sigterm_paused_and_shutdown),
		cmocka_unit_test(test_ready_on_guest),
	};
	return cmocka_run_group_tests_name("notify", tests, setup, teardown);
}
