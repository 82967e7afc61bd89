// SPDX-License-Identifier: GPL-2.0-only
/*
 * A partition's life in `partvm run`: the service around it (control
 * socket, sd_notify, SIGTERM as a shutdown), then boot, run, and on a
 * guest reboot tear down, reset and boot again, until the guest powers
 * off, crashes or is stopped.
 */
#include "core/service/run.h"

#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core/service/privileges.h"
#include "core/service/service.h"
#include "core/util/log.h"
#include "core/util/sandbox.h"
#include "core/vm/loop.h"
#include "core/vm/vcpu.h"
#include "core/vm/vm.h"

/* Signals reach the main loop through a signalfd, so handlers never run
 * in odd contexts. */
static void on_signal(struct loop *l, int fd, uint32_t events, void *opaque)
{
	struct vm *vm = opaque;
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	switch (si.ssi_signo) {
	case SIGINT:
		vm_request_stop(vm, VM_STOP_SIGNAL, 128 + SIGINT);
		break;
	case SIGTERM:
		/* Graceful: the ACPI power button, a stop after shutdown-timeout. */
		service_sigterm(vm);
		break;
	case SIGHUP:
		vm_request_stop(vm, VM_STOP_SIGNAL, 128 + SIGHUP);
		break;
	}
}

/* After the loop ended: what the stop means for the partition. Returns
 * -1 to boot again, else the exit status. */
static int after_stop(struct vm *vm)
{
	int r;

	switch (vm->stop_reason) {
	case VM_STOP_RESET:
		if (vm->cfg->no_reboot) {
			log_info("guest asked for a reboot; exiting (--no-reboot)");
			return 0;
		}
		r = vm_reset(vm);
		if (r < 0) {
			log_error_errno(r, "cannot reset the VM: %m");
			return 1;
		}
		return -1;
	case VM_STOP_POWEROFF:
	case VM_STOP_QUIT:
		return 0;
	case VM_STOP_DEBUG_EXIT:
	case VM_STOP_SIGNAL:
		return vm->stop_status;
	default:
		return 1;
	}
}

int service_run(struct vm *vm)
{
	sigset_t set, old;
	int sigfd, r, status;
	bool sandboxed = false;

	/* Only the signalfd sees these; vCPU threads inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	sigdelset(&set, VCPU_KICK_SIGNAL);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0 || loop_add(vm->loop, sigfd, EPOLLIN, on_signal, vm) < 0) {
		log_error_errno(-errno, "cannot set up signal handling: %m");
		status = 1;
		goto out_sig;
	}

	/* The control socket and sd_notify; a live partition of the same
	 * name refuses the start. */
	if (service_start(vm, vm->loop) < 0) {
		status = 1;
		goto out;
	}
	for (;;) {
		service_booting(vm);
		r = vm_boot(vm);
		if (r < 0) {
			vm_teardown(vm);
			status = 1;
			break;
		}
		service_booted(vm);
		/* Set up once: from now on the main thread keeps to its
		 * seccomp allow-list, which covers later boots too. */
		if (!sandboxed) {
			r = privileges_drop(vm);
			if (r < 0)
				vm_request_stop(vm, VM_STOP_ERROR, 1);
			r = sandbox_enter(&vm->sandbox, SANDBOX_MAIN);
			if (r < 0) {
				log_error_errno(r, "cannot enter the main thread's seccomp filter: %m");
				vm_request_stop(vm, VM_STOP_ERROR, 1);
			}
			sandboxed = true;
		}
		r = vm_wait(vm);
		if (r < 0) {
			log_error_errno(r, "event loop failed: %m");
			vm_request_stop(vm, VM_STOP_ERROR, 1);
		}
		vm_teardown(vm);
		status = after_stop(vm);
		if (status >= 0)
			break;
	}
out:
	service_stop(vm);
	loop_remove(vm->loop, sigfd);
out_sig:
	if (sigfd >= 0)
		close(sigfd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return status;
}
