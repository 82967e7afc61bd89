/* SPDX-License-Identifier: GPL-2.0-only */
/* A struct vm without KVM, for tests of what runs around the guest (the
 * control socket, the service's state): run control, config, vCPU slots
 * whose TIDs a test may fill. Header-only so that only tests using it
 * carry it. */
#ifndef PARTVM_TEST_FAKE_VM_H
#define PARTVM_TEST_FAKE_VM_H

#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/board.h"
#include "core/vm/config.h"
#include "core/vm/vm.h"

static inline void fake_vm_init(struct vm *vm, struct vm_config *cfg, const char *name, unsigned ncpus)
{
	memset(vm, 0, sizeof(*vm));
	config_init(cfg, board_device_types);
	config_set_string(&cfg->name, name);
	cfg->cpus = ncpus ? ncpus : 1;
	vm->cfg = cfg;
	kvm_init(&vm->kvm);
	vm->ncpus = ncpus;
	vm->vcpus = calloc(ncpus ? ncpus : 1, sizeof(*vm->vcpus));
	for (unsigned i = 0; i < ncpus; i++)
		vm->vcpus[i].kv.fd = -1;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	vm->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

static inline void fake_vm_free(struct vm *vm, struct vm_config *cfg)
{
	free(vm->vcpus);
	kvm_release(&vm->kvm);
	close(vm->event_fd);
	pthread_mutex_destroy(&vm->lock);
	pthread_cond_destroy(&vm->cond);
	config_free(cfg);
}

#endif
