/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Starting the application processors: INIT-SIPI-SIPI to each APIC ID of
 * the MADT (Intel MP spec B.4, SDM vol. 3A 9.4.4), a real-mode trampoline
 * at TRAMPOLINE_ADDR that enters 32-bit protected mode with the guest's
 * GDT, and a check-in counter the BSP waits on.
 */
#include "guest.h"

	.code32
	.text

/*
 * smp_start_aps(): start every CPU of cpu_ids[] other than ourselves,
 * wait until each has checked in, print "cpus started: N" or fail.
 * The LAPIC is already set up (lapic_init).
 */
	.global smp_start_aps
smp_start_aps:
	push %ebx
	push %esi
	push %edi
	call lapic_id
	mov %eax, %ebx                /* EBX: the BSP's APIC ID */

	/* Every APIC ID must be reachable, and ours must be listed. */
	xor %esi, %esi
	xor %edi, %edi                /* EDI: APs to start */
1:	cmp cpu_count, %esi
	jae 3f
	mov cpu_ids(,%esi,4), %eax
	cmp %ebx, %eax
	jne 2f
	movb $1, bsp_listed
	jmp 4f
2:	inc %edi
	cmp $LAPIC_XAPIC_MAX_ID, %eax
	jbe 4f
	mov %eax, %edx
	mov $msg_fail_xapic, %eax
	mov $msg_fail_xapic_end, %ecx
	call console_line
	mov $EXIT_VALUE_FAIL, %eax
	jmp guest_exit
4:	inc %esi
	jmp 1b
3:	cmpb $0, bsp_listed
	jne 1f
	mov $msg_fail_bsp, %eax
	jmp guest_fail

	/* The trampoline goes down only now: the boot data has been read. */
1:	push %esi
	push %edi
	mov $trampoline_start, %esi
	mov $TRAMPOLINE_ADDR, %edi
	mov $(trampoline_end - trampoline_start), %ecx
	rep movsb
	pop %edi
	pop %esi

	/* INIT to all, one 10 ms wait, then each SIPI to all. */
	mov $(LAPIC_ICR_INIT | LAPIC_ICR_ASSERT), %eax
	call ipi_to_aps
	mov $INIT_DELAY_US, %eax
	call delay_us
	mov $(LAPIC_ICR_STARTUP | LAPIC_ICR_ASSERT | SIPI_VECTOR), %eax
	call ipi_to_aps
	mov $SIPI_DELAY_US, %eax
	call delay_us
	mov $(LAPIC_ICR_STARTUP | LAPIC_ICR_ASSERT | SIPI_VECTOR), %eax
	call ipi_to_aps
	mov $SIPI_DELAY_US, %eax
	call delay_us

	/* Wait for the check-ins, 1 ms at a time. */
	mov $AP_WAIT_MS, %esi
1:	cmp ap_started, %edi
	je 2f
	dec %esi
	jz 3f
	mov $1000, %eax
	call delay_us
	jmp 1b

2:	mov $msg_started, %eax
	mov cpu_count, %edx
	mov $str_newline, %ecx
	call console_line
	pop %edi
	pop %esi
	pop %ebx
	ret

	/* "FAIL: only K of N cpus started" */
3:	call console_lock
	mov $msg_fail, %eax
	call console_puts
	mov $msg_only, %eax
	call console_puts
	mov ap_started, %eax
	inc %eax                      /* and the BSP */
	call console_put_dec
	mov $msg_of, %eax
	call console_puts
	mov cpu_count, %eax
	call console_put_dec
	mov $msg_cpus_started, %eax
	call console_puts
	mov $EXIT_VALUE_FAIL, %eax
	jmp guest_exit

/* ipi_to_aps(EAX = ICR low word): send it to every APIC ID but ours (EBX). */
ipi_to_aps:
	push %esi
	push %edi
	mov %eax, %edi
	xor %esi, %esi
1:	cmp cpu_count, %esi
	jae 3f
	mov cpu_ids(,%esi,4), %eax
	cmp %ebx, %eax
	je 2f
	mov %edi, %edx
	call lapic_send_ipi
2:	inc %esi
	jmp 1b
3:	pop %edi
	pop %esi
	ret

/*
 * The AP's first instructions, copied to TRAMPOLINE_ADDR. A STARTUP IPI
 * with vector V starts the AP in real mode at CS = V << 8, IP = 0; load
 * the guest's GDT (its descriptor is copied along, the table itself stays
 * at its link address), set CR0.PE and far-jump to 32-bit code.
 * A20 is enabled at reset under KVM and QEMU.
 */
	.code16
trampoline_start:
	cli
	mov %cs, %ax
	mov %ax, %ds
	lgdtl trampoline_gdt_desc - trampoline_start
	mov %cr0, %eax
	or $CR0_PE, %eax
	mov %eax, %cr0
	ljmpl $SEL_CODE, $(TRAMPOLINE_ADDR + trampoline_32 - trampoline_start)
	.code32
trampoline_32:
	mov $SEL_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	mov $ap_main, %eax            /* an absolute jump to the image */
	jmp *%eax
	.balign 4
trampoline_gdt_desc:
	.word GDT_SIZE - 1
	.long gdt
trampoline_end:

/*
 * ap_main: each AP takes the next free stack, reports its APIC ID on a
 * line of its own, checks in and halts for good.
 */
ap_main:
	cld
	mov $1, %eax
	lock xadd %eax, ap_stack_next
	cmp $(MAX_CPUS - 1), %eax
	jae ap_halt                   /* more APs than the MADT listed */
	inc %eax
	shl $AP_STACK_SHIFT, %eax
	lea ap_stacks(%eax), %esp     /* top of stack number EAX */
	call idt_load

	call lapic_id
	mov %eax, %edx
	mov $msg_ap, %eax
	mov $str_newline, %ecx
	call console_line
	lock incl ap_started
ap_halt:
	cli
	hlt
	jmp ap_halt

	.section .rodata
msg_ap:             .asciz "ap: apic id "
msg_started:        .asciz "cpus started: "
msg_only:           .asciz "only "
msg_of:             .asciz " of "
msg_cpus_started:   .asciz " cpus started\n"
msg_fail_bsp:       .asciz "boot cpu not in MADT"
msg_fail_xapic:     .asciz "FAIL: apic id "
msg_fail_xapic_end: .asciz " needs x2apic\n"

	.bss
	.balign 4
ap_started:
	.long 0
ap_stack_next:
	.long 0
bsp_listed:
	.byte 0
	.balign 16
ap_stacks:
	.skip (MAX_CPUS - 1) << AP_STACK_SHIFT
