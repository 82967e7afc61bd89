// SPDX-License-Identifier: GPL-2.0-only
/*
 * The smallest proof that /dev/kvm runs guest code: a real-mode guest writes
 * one byte to an I/O port and halts. Prints what it saw, one fact a line, and
 * exits 0 only when the API version, the port write and the halt are all
 * as expected. Built and run inside the lab by test-lab-host.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUEST_ADDR 0x1000
#define HELLO_PORT 0x10

static int fail(const char *what)
{
	fprintf(stderr, "kvm-hello: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(void)
{
	/* mov al, 'K'; out HELLO_PORT, al; hlt */
	static const uint8_t code[] = { 0xb0, 'K', 0xe6, HELLO_PORT, 0xf4 };
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int kvm, vm, vcpu, api, run_size;
	uint8_t *mem;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("open /dev/kvm");
	api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	printf("api_version %d\n", api);
	if (api != KVM_API_VERSION)
		return fail("KVM_GET_API_VERSION");

	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap");
	memcpy(mem, code, sizeof(code));
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = GUEST_ADDR,
		.memory_size = 0x1000,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(*run))
		return fail("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap kvm_run");

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return fail("KVM_SET_SREGS");
	regs = (struct kvm_regs){ .rip = GUEST_ADDR, .rflags = 0x2 };
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS");

	for (int exits = 0; exits < 16; exits++) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0)
			return fail("KVM_RUN");
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 1 &&
			    run->io.count == 1)
				printf("io_out port=%#x byte=%c\n", run->io.port,
				       *((char *)run + run->io.data_offset));
			else
				printf("io unexpected port=%#x\n", run->io.port);
			break;
		case KVM_EXIT_HLT:
			printf("hlt\n");
			return 0;
		default:
			printf("exit_reason %u\n", run->exit_reason);
			return 1;
		}
	}
	printf("no hlt after 16 exits\n");
	return 1;
}
