// SPDX-License-Identifier: GPL-2.0-only
#include "core/service/service.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/service/control.h"
#include "core/util/log.h"
#include "core/vm/loop.h"
#include "core/service/notify.h"
#include "core/util/sysfs.h"
#include "core/vm/vm.h"

/* How long READY=1 waits for the vCPU threads to come up. */
#define SERVICE_VCPU_WAIT_MS 2000

struct service {
	struct vm *vm;
	struct loop *loop;
	struct control *control;     /* NULL when the socket could not be made */
	struct timespec start;       /* CLOCK_MONOTONIC at service_start() */
	bool booted;                 /* the current boot's vCPUs run */
	bool ready_sent;
	bool guest_ready;            /* this boot's guest sent READY=1 */
	char guest_status[128];      /* its last STATUS=, printable */
	bool shutting_down;          /* the power button was pressed */
	bool deadline_armed;         /* ... by SIGTERM: a stop follows */
	const char *stop_text;       /* why it stops, when set */
	int watchdog_fd;
	int deadline_fd;
};

static int timer_arm(int fd, uint64_t first_usec, uint64_t interval_usec)
{
	struct itimerspec its = {
		.it_value = { first_usec / 1000000, (first_usec % 1000000) * 1000 },
		.it_interval = { interval_usec / 1000000, (interval_usec % 1000000) * 1000 },
	};

	return timerfd_settime(fd, 0, &its, NULL) < 0 ? -errno : 0;
}

static void on_watchdog(struct loop *l, int fd, uint32_t events, void *opaque)
{
	uint64_t n;

	(void)!read(fd, &n, sizeof(n));
	/* The main loop turning is what the watchdog vouches for. */
	notify_watchdog();
}

static void on_deadline(struct loop *l, int fd, uint32_t events, void *opaque)
{
	struct service *s = opaque;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	log_warning("the guest did not power off within %u s of the ACPI power button "
		    "(shutdown-timeout); stopping it", s->vm->cfg->shutdown_timeout);
	notify_stopping("shutdown-timeout expired");
	vm_request_stop(s->vm, VM_STOP_SIGNAL, 128 + SIGTERM);
}

static void on_guest_notify(struct vm *vm, const char *message);

int service_start(struct vm *vm, struct loop *loop)
{
	struct service *s = calloc(1, sizeof(*s));
	uint64_t wd;
	int r;

	if (!s)
		return log_error_errno(-ENOMEM, "out of memory");
	s->vm = vm;
	s->loop = loop;
	s->watchdog_fd = s->deadline_fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &s->start);
	vm->service = s;
	vm->guest_notify = on_guest_notify;

	r = control_open(vm, loop, partvm_runtime_dir(), vm->cfg->name, &s->control);
	if (r == -EADDRINUSE)
		return log_error_errno(r, "partition %s is already running (%s/%s.sock answers); "
				       "stop it first or choose another name", vm->cfg->name,
				       partvm_runtime_dir(), vm->cfg->name);
	if (r < 0)
		/* A partition without a socket still runs (e.g. a user without
		 * access to /run/partvm trying the test guest). */
		log_warning_errno(r, "no control socket %s/%s.sock: %m; `partvm list` and `partvm ctl` "
				  "will not see this partition", partvm_runtime_dir(), vm->cfg->name);

	s->deadline_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->deadline_fd < 0 || loop_add(loop, s->deadline_fd, EPOLLIN, on_deadline, s) < 0)
		return log_error_errno(-errno, "cannot set up the shutdown timer: %m");

	wd = notify_watchdog_interval_usec();
	if (wd) {
		s->watchdog_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (s->watchdog_fd < 0 || timer_arm(s->watchdog_fd, wd, wd) < 0 ||
		    loop_add(loop, s->watchdog_fd, EPOLLIN, on_watchdog, s) < 0)
			return log_error_errno(-errno, "cannot set up the watchdog timer: %m");
		log_debug("service manager watchdog: WATCHDOG=1 every %llu ms", (unsigned long long)(wd / 1000));
	}
	return 0;
}

/* What the guest's systemd sends (vsock, vmm.notify_socket): READY=1 and
 * STATUS=, one per line; the rest (X_SYSTEMD_UNIT_ACTIVE=...) is not ours
 * to act on. A guest is not trusted: the status is cut and made printable. */
static void on_guest_notify(struct vm *vm, const char *message)
{
	struct service *s = vm->service;
	bool ready = false;

	if (!s)
		return;
	for (const char *l = message; *l;) {
		size_t n = strcspn(l, "\n");

		if (n == 7 && !strncmp(l, "READY=1", 7))
			ready = true;
		else if (n > 7 && !strncmp(l, "STATUS=", 7)) {
			size_t k = n - 7 < sizeof(s->guest_status) - 1 ? n - 7 : sizeof(s->guest_status) - 1;

			for (size_t i = 0; i < k; i++)
				s->guest_status[i] = l[7 + i] >= 0x20 && l[7 + i] < 0x7f ? l[7 + i] : '?';
			s->guest_status[k] = '\0';
		}
		l += n + (l[n] == '\n');
	}
	if (!ready || s->guest_ready)
		return;
	s->guest_ready = true;
	log_info("the guest reports it is up (its systemd's READY=1%s%s)%s",
		 s->guest_status[0] ? ": " : "", s->guest_status,
		 vm->cfg->ready_on_guest && !s->ready_sent ? ", READY=1" : "");
	if (vm->cfg->ready_on_guest && s->booted) {
		notify_guest_ready(!s->ready_sent, vm->ncpus, vm->cfg->memory, s->guest_status);
		s->ready_sent = true;
	}
}

void service_booting(struct vm *vm)
{
	struct service *s = vm->service;

	if (!s)
		return;
	s->booted = false;
	s->guest_ready = false;
	s->guest_status[0] = '\0';
	notify_booting(vm->boots + 1);
}

/* "guest running: 2 vCPUs on threads 101 102 (boot 1), READY=1": the
 * journal shows the vCPUs run before systemd calls the unit started. On
 * a terminal it would only cut into the guest's first console line (the
 * threads are in `partvm ctl NAME status`), so there it is a debug line. */
static void log_vcpus(struct vm *vm, bool ready)
{
	char tids[256] = "";
	size_t off = 0;

	for (unsigned i = 0; i < vm->ncpus && off < sizeof(tids); i++) {
		int n = snprintf(tids + off, sizeof(tids) - off, " %d", (int)vm->vcpus[i].tid);

		if (n < 0)
			break;
		off += (size_t)n;
	}
	log_full_errno(getenv("NOTIFY_SOCKET") ? LOG_INFO : LOG_DEBUG, 0,
		       "guest running: %u vCPU%s on thread%s%s (boot %u)%s", vm->ncpus,
		       vm->ncpus == 1 ? "" : "s", vm->ncpus == 1 ? "" : "s", tids, vm->boots,
		       ready ? ", READY=1" : "");
}

void service_booted(struct vm *vm)
{
	struct service *s = vm->service;

	if (!s)
		return;
	/* A vCPU thread sets its TID first thing; once all have, the guest
	 * runs, and `status` can show every TID. */
	for (unsigned i = 0; i < vm->ncpus; i++)
		for (int ms = 0; ms < SERVICE_VCPU_WAIT_MS &&
				 !__atomic_load_n(&vm->vcpus[i].tid, __ATOMIC_ACQUIRE); ms++)
			usleep(1000);
	s->booted = true;
	if (vm->cfg->ready_on_guest) {
		/* READY=1 is the guest's to give (on_guest_notify()). */
		log_vcpus(vm, false);
		if (s->guest_ready) {
			notify_guest_ready(!s->ready_sent, vm->ncpus, vm->cfg->memory, s->guest_status);
			s->ready_sent = true;
		} else {
			notify_waiting_for_guest(vm->ncpus, vm->cfg->memory);
		}
		return;
	}
	log_vcpus(vm, !s->ready_sent);
	notify_running(!s->ready_sent, vm->ncpus, vm->cfg->memory);
	s->ready_sent = true;
}

static const char *stop_reason_text(enum vm_stop_reason r)
{
	switch (r) {
	case VM_STOP_POWEROFF: return "the guest powered off";
	case VM_STOP_RESET: return "the guest rebooted (--no-reboot)";
	case VM_STOP_DEBUG_EXIT: return "the guest wrote to the debug-exit port";
	case VM_STOP_CRASH: return "the guest crashed";
	case VM_STOP_SIGNAL: return "stopped by a signal";
	case VM_STOP_QUIT: return "quit from the console";
	case VM_STOP_ERROR: return "partvm failed";
	default: return "the partition could not start";
	}
}

void service_stop(struct vm *vm)
{
	struct service *s = vm->service;

	if (!s)
		return;
	notify_stopping(s->stop_text ? s->stop_text : stop_reason_text(vm->stop_reason));
	vm->guest_notify = NULL;
	control_close(s->control);
	if (s->watchdog_fd >= 0) {
		loop_remove(s->loop, s->watchdog_fd);
		close(s->watchdog_fd);
	}
	if (s->deadline_fd >= 0) {
		loop_remove(s->loop, s->deadline_fd);
		close(s->deadline_fd);
	}
	vm->service = NULL;
	free(s);
}

int service_shutdown(struct vm *vm, bool deadline)
{
	struct service *s = vm->service;
	unsigned timeout = vm->cfg->shutdown_timeout;
	int r;

	r = vm_power_button(vm);
	if (r < 0)
		return r;
	if (!s)
		return 0;
	s->shutting_down = true;
	if (deadline && !s->deadline_armed) {
		r = timer_arm(s->deadline_fd, timeout * 1000000ULL, 0);
		if (r < 0)
			return r;
		s->deadline_armed = true;
		log_info("shutting down: ACPI power button pressed; the guest is stopped in %u s "
			 "unless it powers off (shutdown-timeout)", timeout);
		notify_shutting_down(timeout);
	} else if (!deadline) {
		log_info("shutting down: ACPI power button pressed (control socket)");
		notify_shutting_down(0);
	}
	return 0;
}

void service_sigterm(struct vm *vm)
{
	struct service *s = vm->service;
	int r;

	if (!s || s->deadline_armed || !vm->cfg->shutdown_timeout) {
		log_info("SIGTERM: stopping the guest now%s", s && s->deadline_armed ? " (second SIGTERM)" : "");
		notify_stopping("SIGTERM");
		vm_request_stop(vm, VM_STOP_SIGNAL, 128 + SIGTERM);
		return;
	}
	/* A paused guest cannot act on the button. */
	if (!strcmp(service_state(vm), "paused")) {
		log_info("SIGTERM: resuming the paused guest so that it can shut down");
		vm_resume(vm);
	}
	r = service_shutdown(vm, true);
	if (r < 0) {
		log_warning_errno(r, "SIGTERM: cannot press the ACPI power button (%m); stopping the guest now");
		vm_request_stop(vm, VM_STOP_SIGNAL, 128 + SIGTERM);
	}
}

void service_set_stop_text(struct vm *vm, const char *why)
{
	if (vm->service)
		vm->service->stop_text = why;
}

void service_state_changed(struct vm *vm)
{
	struct service *s = vm->service;
	const char *st;

	if (!s)
		return;
	st = service_state(vm);
	if (!strcmp(st, "paused"))
		notify_paused();
	else if (!strcmp(st, "shutting-down"))
		notify_shutting_down(0);
	else if (!strcmp(st, "running"))
		notify_running(false, vm->ncpus, vm->cfg->memory);
}

const char *service_state(struct vm *vm)
{
	struct service *s = vm->service;
	enum vm_run_state st;

	pthread_mutex_lock(&vm->lock);
	st = vm->state;
	pthread_mutex_unlock(&vm->lock);
	if (st == VM_STATE_STOPPING)
		return "stopping";
	if (st == VM_STATE_PAUSED)
		return "paused";
	if (s && s->shutting_down)
		return "shutting-down";
	if (s && !s->booted)
		return "booting";
	return "running";
}

double service_uptime(struct vm *vm)
{
	struct service *s = vm->service;
	struct timespec now;

	if (!s)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - s->start.tv_sec) + (now.tv_nsec - s->start.tv_nsec) / 1e9;
}
