// SPDX-License-Identifier: GPL-2.0-only
/*
 * Does the lab's QEMU survive a nested guest that writes CR8 while its
 * hypervisor has an interrupt waiting for it? The guest (64-bit, set up
 * here without a firmware) disables interrupts, starts its LAPIC timer, and
 * loops on `mov cr8, rax` (or on `nop`, the control). KVM then asks for an
 * interrupt window (the VMCB's V_IRQ), and QEMU 10.0.2's TCG handles the
 * CR8 write with V_IRQ set by calling cpu_interrupt() without the big QEMU
 * lock: the lab aborts ("tcg_handle_interrupt: assertion failed:
 * (bql_locked())"). edk2's interrupt and exception handlers restore CR8 on
 * every return (CpuExceptionHandlerLib), Windows writes it for every IRQL
 * change, so neither can run in this lab; Linux never writes CR8.
 *
 *   cr8-nested cr8|nop SECONDS   exits 0 after SECONDS, when it survives
 *
 * Not a test: the cr8 case stops the lab host. tests/lab/README.md,
 * "Known behaviour", has the measurement and how to run it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define RAM      (2u << 20)
#define PML4     0x1000
#define PDPT     0x2000
#define PD       0x3000      /* four pages: 2 MiB pages up to 4 GiB */
#define CODE     0x8000
#define LAPIC    0xfee00000u

static void on_alarm(int sig) { (void)sig; }

static int fail(const char *what)
{
	fprintf(stderr, "cr8-nested: %s: %s\n", what, strerror(errno));
	return 1;
}

/* mov eax, ADDR; mov dword [rax], VAL */
static uint8_t *emit_store(uint8_t *c, uint32_t addr, uint32_t val)
{
	*c++ = 0xb8;
	memcpy(c, &addr, 4);
	c += 4;
	*c++ = 0xc7;
	*c++ = 0x00;
	memcpy(c, &val, 4);
	return c + 4;
}

int main(int argc, char **argv)
{
	struct { struct kvm_cpuid2 c; struct kvm_cpuid_entry2 e[128]; } cpuid = { .c.nent = 128 };
	struct kvm_segment code = { .limit = 0xffffffff, .selector = 8, .type = 11, .present = 1,
				    .s = 1, .l = 1, .g = 1 };
	struct kvm_segment data = { .limit = 0xffffffff, .selector = 16, .type = 3, .present = 1,
				    .s = 1, .db = 1, .g = 1 };
	struct kvm_userspace_memory_region region = { .memory_size = RAM };
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = CODE, .rflags = 2, .rsp = 0x7000 };
	struct kvm_run *run;
	uint8_t *mem, *c, *loop;
	uint64_t *pml4, *pdpt;
	int kvm, vm, vcpu, run_size, secs;
	bool cr8;

	if (argc != 3 || (strcmp(argv[1], "cr8") && strcmp(argv[1], "nop")) || (secs = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: cr8-nested cr8|nop SECONDS\n");
		return 2;
	}
	cr8 = !strcmp(argv[1], "cr8");
	mem = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap");
	region.userspace_addr = (uintptr_t)mem;
	pml4 = (uint64_t *)(mem + PML4);
	pdpt = (uint64_t *)(mem + PDPT);
	pml4[0] = PDPT | 3;
	for (unsigned i = 0; i < 4; i++) {
		uint64_t *pd = (uint64_t *)(mem + PD + i * 0x1000);

		pdpt[i] = (PD + i * 0x1000) | 3;
		/* Present, writable, 2 MiB; the top GiB (the LAPIC) uncached. */
		for (unsigned j = 0; j < 512; j++)
			pd[j] = ((uint64_t)(i * 512 + j) << 21) | 0x83 | (i == 3 ? 0x18 : 0);
	}
	c = mem + CODE;
	*c++ = 0xfa;                                  /* cli */
	c = emit_store(c, LAPIC + 0xf0, 0x1ff);       /* SVR: APIC on */
	c = emit_store(c, LAPIC + 0x3e0, 0xb);        /* divide by 1 */
	c = emit_store(c, LAPIC + 0x320, 0x20020);    /* LVT timer: periodic, vector 0x20 */
	c = emit_store(c, LAPIC + 0x380, 20000);      /* initial count */
	loop = c;
	if (cr8) {
		static const uint8_t w[] = { 0x31, 0xc0, 0x44, 0x0f, 0x22, 0xc0 }; /* xor eax,eax; mov cr8,rax */

		memcpy(c, w, sizeof(w));
		c += sizeof(w);
	} else {
		*c++ = 0x90;                          /* nop */
	}
	*c++ = 0xeb;                                  /* jmp loop */
	*c = (uint8_t)(loop - (c + 1));

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("open /dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0 || ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0 ||
	    ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("creating the VM");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || run_size <= 0)
		return fail("creating the vCPU");
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED || ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid) < 0 ||
	    ioctl(vcpu, KVM_SET_CPUID2, &cpuid) < 0 || ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("setting up the vCPU");
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.ss = sregs.fs = sregs.gs = data;
	sregs.cr3 = PML4;
	sregs.cr4 = 0x20;                             /* PAE */
	sregs.cr0 = 0x80000011;                       /* PG, ET, PE */
	sregs.efer = 0x500;                           /* LMA, LME */
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0 || ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("setting the vCPU's registers");

	signal(SIGALRM, on_alarm);
	alarm((unsigned)secs);
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				break;
			return fail("KVM_RUN");
		}
		if (run->exit_reason != KVM_EXIT_INTR) {
			fprintf(stderr, "cr8-nested: unexpected exit %u\n", run->exit_reason);
			return 1;
		}
	}
	printf("cr8-nested %s: the guest ran %d s\n", argv[1], secs);
	return 0;
}
