// SPDX-License-Identifier: GPL-2.0-only
// LDFLAGS: -Wl,--wrap=ioctl
/* Hyper-V enlightenments at the ioctl edge (link with -Wl,--wrap=ioctl):
 * which form of KVM_GET_SUPPORTED_HV_CPUID is asked, a host without
 * Hyper-V refused, what each vCPU gets enabled (SynIC, enforced CPUID)
 * and set (the same Hyper-V leaves), and the Hyper-V exits answered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/kvm/cpuid.h"
#include "core/kvm/kvm.h"
#include "core/util/cleanup.h"

#define RUN_SIZE 4096
#define MAX_VCPUS 4

/* The fake /dev/kvm: its capabilities, its Hyper-V leaves, and what
 * partvm asked of it. */
static struct {
	bool caps[256];
	int hv_errno;                 /* KVM_GET_SUPPORTED_HV_CPUID fails with it */
	int dev_fd, vm_fd;
	int scratch_vm_fd;            /* a VM partvm made itself */
	bool scratch_irqchip;
	int vcpu_fds[MAX_VCPUS + 1];
	unsigned nvcpus;
	int hv_cpuid_fd;              /* where KVM_GET_SUPPORTED_HV_CPUID went */
	/* Per vCPU: caps enabled (with args[0]) before KVM_SET_CPUID2, and the
	 * table it got. */
	int synic[MAX_VCPUS + 1], enforce[MAX_VCPUS + 1];
	bool cap_after_cpuid;
	struct kvm_cpuid2 *cpuid[MAX_VCPUS + 1];
} fake;

int __real_ioctl(int fd, unsigned long req, ...);

static void hv_table(struct kvm_cpuid2 *t)
{
	static const struct kvm_cpuid_entry2 e[] = {
		{ .function = 0x40000000, .eax = 0x40000082, .ebx = 0x756e694c, .ecx = 0x564b2078,
		  .edx = 0x7648204d },
		{ .function = 0x40000001, .eax = 0x31237648 },
		{ .function = 0x40000003, .eax = 0xaaff, .ebx = 0x100830, .edx = 0x84d12 },
		{ .function = 0x40000004, .eax = 0x44e2c, .ebx = 0xfff },
		{ .function = 0x40000005, .eax = 4096, .ebx = 64 },
	};

	memcpy(t->entries, e, sizeof(e));
	t->nent = ARRAY_SIZE(e);
}

/* The newest vCPU with fd FD: a destroyed vCPU's number is reused. */
static int vcpu_index(int fd)
{
	for (unsigned i = fake.nvcpus; i-- > 0;)
		if (fake.vcpu_fds[i] == fd)
			return (int)i;
	return -1;
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	void *arg;
	va_list ap;
	int i;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	i = vcpu_index(fd);
	if (fd != fake.dev_fd && fd != fake.vm_fd && fd != fake.scratch_vm_fd && i < 0)
		return __real_ioctl(fd, req, arg);

	switch (req) {
	case KVM_CHECK_EXTENSION:
		return fake.caps[(uintptr_t)arg & 0xff];
	case KVM_GET_SUPPORTED_HV_CPUID:
		fake.hv_cpuid_fd = fd;
		if (fake.hv_errno) {
			errno = fake.hv_errno;
			return -1;
		}
		hv_table(arg);
		return 0;
	case KVM_CREATE_VM:
		fake.scratch_vm_fd = eventfd(0, EFD_CLOEXEC);
		return fake.scratch_vm_fd;
	case KVM_CREATE_IRQCHIP:
		fake.scratch_irqchip |= fd == fake.scratch_vm_fd;
		return 0;
	case KVM_CREATE_VCPU: {
		int v = memfd_create("vcpu", MFD_CLOEXEC);

		assert_true(fake.nvcpus <= MAX_VCPUS);
		assert_int_equal(ftruncate(v, RUN_SIZE), 0);
		fake.vcpu_fds[fake.nvcpus++] = v;
		return v;
	}
	case KVM_ENABLE_CAP: {
		const struct kvm_enable_cap *c = arg;

		fake.cap_after_cpuid |= fake.cpuid[i] != NULL;
		if (c->cap == KVM_CAP_HYPERV_SYNIC2)
			fake.synic[i] = 1 + (int)c->args[0];
		else if (c->cap == KVM_CAP_HYPERV_ENFORCE_CPUID)
			fake.enforce[i] = 1 + (int)c->args[0];
		return 0;
	}
	case KVM_SET_CPUID2: {
		const struct kvm_cpuid2 *t = arg;
		size_t size = sizeof(*t) + t->nent * sizeof(t->entries[0]);

		fake.cpuid[i] = malloc(size);
		memcpy(fake.cpuid[i], t, size);
		return 0;
	}
	case KVM_GET_LAPIC:
		memset(arg, 0, sizeof(struct kvm_lapic_state));
		return 0;
	case KVM_SET_LAPIC:
	case KVM_RUN:
		return 0;
	}
	fail_msg("unexpected ioctl %#lx", req);
	return -1;
}

/* vCPU fds are closed by kvm_vcpu_destroy() (or the code that made them). */
static int setup(void **state)
{
	memset(&fake, 0, sizeof(fake));
	fake.scratch_vm_fd = -1;
	fake.hv_cpuid_fd = -1;
	fake.dev_fd = eventfd(0, EFD_CLOEXEC);
	fake.vm_fd = eventfd(0, EFD_CLOEXEC);
	fake.caps[KVM_CAP_HYPERV] = true;
	return 0;
}

static int teardown(void **state)
{
	for (unsigned i = 0; i < fake.nvcpus; i++)
		free(fake.cpuid[i]);
	close(fake.dev_fd);
	close(fake.vm_fd);
	return 0;
}

/* A struct kvm on the fake device, as kvm_open() leaves it. */
static void open_kvm(struct kvm *k)
{
	kvm_init(k);
	k->dev_fd = fake.dev_fd;
	k->vm_fd = fake.vm_fd;
	k->run_size = RUN_SIZE;
	k->supported_cpuid = calloc(1, sizeof(*k->supported_cpuid) + 4 * sizeof(k->supported_cpuid->entries[0]));
	k->supported_cpuid->entries[0] = (struct kvm_cpuid_entry2){ .function = 1 };
	k->supported_cpuid->entries[1] = (struct kvm_cpuid_entry2){
		.function = 0x40000000, .eax = 0x40000001, .ebx = 0x4b4d564b, .ecx = 0x564b4d56, .edx = 0x4d };
	k->supported_cpuid->nent = 2;
}

/* Leave the fds to the fake. */
static void close_kvm(struct kvm *k)
{
	k->dev_fd = k->vm_fd = -1;
	kvm_release(k);
}

static const struct kvm_hypervisor hyperv = { .hyperv = true, .id = KVM_HYPERVISOR_ID_HYPERV };

/* Linux 5.11+: the system ioctl on /dev/kvm, no VM made for it. */
static void test_system_form(void **state)
{
	struct kvm k;

	fake.caps[KVM_CAP_SYS_HYPERV_CPUID] = true;
	fake.caps[KVM_CAP_HYPERV_CPUID] = true;
	fake.caps[KVM_CAP_HYPERV_SYNIC2] = true;
	fake.caps[KVM_CAP_HYPERV_ENFORCE_CPUID] = true;
	open_kvm(&k);
	assert_int_equal(kvm_set_hypervisor(&k, &hyperv), 0);
	assert_int_equal(fake.hv_cpuid_fd, fake.dev_fd);
	assert_int_equal(fake.scratch_vm_fd, -1);
	assert_non_null(k.hv_cpuid);
	assert_int_equal(k.hv_cpuid->nent, 5);
	assert_true(k.hv_synic);
	assert_true(k.hv_enforce_cpuid);
	close_kvm(&k);
}

/* Before 5.11: the vCPU form, on a vCPU of a VM made (with an in-kernel
 * irqchip) and closed for the question. */
static void test_vcpu_form(void **state)
{
	struct kvm k;

	fake.caps[KVM_CAP_HYPERV_CPUID] = true;
	open_kvm(&k);
	assert_int_equal(kvm_set_hypervisor(&k, &hyperv), 0);
	assert_int_equal(fake.nvcpus, 1);
	assert_int_equal(fake.hv_cpuid_fd, fake.vcpu_fds[0]);
	assert_true(fake.scratch_irqchip);
	assert_int_equal(fcntl(fake.scratch_vm_fd, F_GETFD), -1);       /* closed */
	assert_int_equal(fcntl(fake.vcpu_fds[0], F_GETFD), -1);
	assert_non_null(k.hv_cpuid);
	assert_false(k.hv_synic);
	assert_false(k.hv_enforce_cpuid);
	close_kvm(&k);
}

/* A KVM without Hyper-V emulation, or whose ioctl fails: refused. */
static void test_refused(void **state)
{
	struct kvm k;

	fake.caps[KVM_CAP_HYPERV] = false;
	fake.caps[KVM_CAP_SYS_HYPERV_CPUID] = true;
	open_kvm(&k);
	assert_int_equal(kvm_set_hypervisor(&k, &hyperv), -EOPNOTSUPP);
	assert_null(k.hv_cpuid);
	/* Hyper-V, but neither form of the ioctl (before Linux 5.0). */
	fake.caps[KVM_CAP_HYPERV] = true;
	fake.caps[KVM_CAP_SYS_HYPERV_CPUID] = false;
	assert_int_equal(kvm_set_hypervisor(&k, &hyperv), -EOPNOTSUPP);
	fake.caps[KVM_CAP_SYS_HYPERV_CPUID] = true;
	fake.hv_errno = E2BIG;
	assert_int_equal(kvm_set_hypervisor(&k, &hyperv), -E2BIG);
	assert_null(k.hv_cpuid);
	/* Without hyperv nothing is asked, and nothing is kept. */
	fake.hv_errno = 0;
	assert_int_equal(kvm_set_hypervisor(&k, &hyperv), 0);
	assert_non_null(k.hv_cpuid);
	fake.hv_cpuid_fd = -1;
	assert_int_equal(kvm_set_hypervisor(&k, &(struct kvm_hypervisor){ .id = KVM_HYPERVISOR_ID_HIDE }), 0);
	assert_int_equal(fake.hv_cpuid_fd, -1);
	assert_null(k.hv_cpuid);
	assert_int_equal(k.hypervisor.id, KVM_HYPERVISOR_ID_HIDE);
	close_kvm(&k);
}

/* Every vCPU: SynIC and enforced CPUID enabled before its CPUID is set,
 * and the same Hyper-V leaves. */
static void test_vcpus(void **state)
{
	struct kvm_vcpu v[3];
	struct kvm k;

	fake.caps[KVM_CAP_SYS_HYPERV_CPUID] = true;
	fake.caps[KVM_CAP_HYPERV_SYNIC2] = true;
	fake.caps[KVM_CAP_HYPERV_ENFORCE_CPUID] = true;
	open_kvm(&k);
	assert_int_equal(kvm_set_hypervisor(&k, &hyperv), 0);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(kvm_vcpu_create(&k, &v[i], i, i, 3), 0);
	for (unsigned i = 0; i < 3; i++) {
		struct kvm_cpuid_entry2 *e = cpuid_find(fake.cpuid[i], 0x40000000, 0);

		assert_int_equal(fake.synic[i], 1);         /* args[0] = 0 */
		assert_int_equal(fake.enforce[i], 2);       /* args[0] = 1: enforce */
		assert_non_null(e);
		assert_memory_equal(&e->ebx, "Micr", 4);
		assert_true(cpuid_find(fake.cpuid[i], 0x40000003, 0)->eax & (1U << 2));   /* SynIC */
		assert_int_equal(cpuid_find(fake.cpuid[i], 0x40000100, 0)->ebx, 0x4b4d564b);
		for (uint32_t fn = 0x40000000; fn <= 0x40000005; fn++) {
			if (!cpuid_find(fake.cpuid[0], fn, 0))
				continue;
			assert_memory_equal(cpuid_find(fake.cpuid[i], fn, 0), cpuid_find(fake.cpuid[0], fn, 0),
					    sizeof(*e));
		}
	}
	assert_false(fake.cap_after_cpuid);
	for (unsigned i = 0; i < 3; i++)
		kvm_vcpu_destroy(&v[i]);
	close_kvm(&k);
}

/* Without KVM_CAP_HYPERV_SYNIC2 nothing enables SynIC and the leaves do
 * not offer it; without hyperv no capability is enabled at all. */
static void test_vcpus_without_synic(void **state)
{
	struct kvm_vcpu v;
	struct kvm k;

	fake.caps[KVM_CAP_SYS_HYPERV_CPUID] = true;
	open_kvm(&k);
	assert_int_equal(kvm_set_hypervisor(&k, &hyperv), 0);
	assert_int_equal(kvm_vcpu_create(&k, &v, 0, 0, 1), 0);
	assert_int_equal(fake.synic[0], 0);
	assert_int_equal(fake.enforce[0], 0);
	assert_false(cpuid_find(fake.cpuid[0], 0x40000003, 0)->eax & (1U << 2));
	kvm_vcpu_destroy(&v);

	fake.caps[KVM_CAP_HYPERV_SYNIC2] = true;
	assert_int_equal(kvm_set_hypervisor(&k, &(struct kvm_hypervisor){ .id = KVM_HYPERVISOR_ID_KVM }), 0);
	assert_int_equal(kvm_vcpu_create(&k, &v, 1, 1, 2), 0);
	assert_int_equal(fake.synic[1], 0);
	assert_int_equal(cpuid_find(fake.cpuid[1], 0x40000000, 0)->ebx, 0x4b4d564b);
	kvm_vcpu_destroy(&v);
	close_kvm(&k);
}

/* SynIC's MSR exits and hypercalls KVM hands to user space: the vCPU just
 * runs on, a hypercall answered as an unknown one (TLFS: status 2). */
static void test_hyperv_exits(void **state)
{
	struct kvm_exit x;
	struct kvm_vcpu v;
	struct kvm k;

	fake.caps[KVM_CAP_SYS_HYPERV_CPUID] = true;
	fake.caps[KVM_CAP_HYPERV_SYNIC2] = true;
	open_kvm(&k);
	assert_int_equal(kvm_set_hypervisor(&k, &hyperv), 0);
	assert_int_equal(kvm_vcpu_create(&k, &v, 0, 0, 1), 0);
	v.run->exit_reason = KVM_EXIT_HYPERV;
	v.run->hyperv.type = KVM_EXIT_HYPERV_SYNIC;
	v.run->hyperv.u.synic.msr = 0x40000080;          /* SCONTROL */
	assert_int_equal(kvm_vcpu_run(&v, &x), 0);
	assert_int_equal(x.kind, KVM_EXIT_KIND_NONE);
	v.run->hyperv.type = KVM_EXIT_HYPERV_HCALL;
	v.run->hyperv.u.hcall.input = 0x005c;            /* HvPostMessage */
	v.run->hyperv.u.hcall.result = ~0ULL;
	assert_int_equal(kvm_vcpu_run(&v, &x), 0);
	assert_int_equal(x.kind, KVM_EXIT_KIND_NONE);
	assert_int_equal(v.run->hyperv.u.hcall.result, 2);
	kvm_vcpu_destroy(&v);
	close_kvm(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_system_form, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vcpu_form, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vcpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vcpus_without_synic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hyperv_exits, setup, teardown),
	};
	return cmocka_run_group_tests_name("kvm-hyperv", tests, NULL, NULL);
}
