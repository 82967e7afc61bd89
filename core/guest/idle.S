/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * idle: run until the VMM stops the guest. The LAPIC timer interrupts
 * ~10 times a second and every 10th tick prints "tick N" (N = ticks so
 * far), so a paused VM shows as ticks that stop advancing.
 */
#include "guest.h"

#define FLOOD_LINES 680      /* 4080 bytes: a page's worth of "flood\n" */

	.code32
	.text

/*
 * IRET without IRET, for a same-privilege interrupt frame [EIP][CS][EFLAGS].
 * Hosts whose /dev/kvm runs guest kernel code through KVM's instruction
 * emulator (PVM-style nested hosts) cannot emulate a protected-mode IRET:
 * it ends the VM with KVM_EXIT_INTERNAL_ERROR at the first timer tick. So
 * the frame is rearranged to [-][EFLAGS][EIP] and left with POPF and a near
 * RET, which every emulator handles. CS never changes in this guest. An
 * interrupt taken between POPF and RET nests on a consistent stack.
 */
.macro interrupt_return
	push %eax
	mov 12(%esp), %eax            /* EFLAGS */
	mov %eax, 8(%esp)
	mov 4(%esp), %eax             /* EIP */
	mov %eax, 12(%esp)
	pop %eax
	lea 4(%esp), %esp
	popf
	ret
.endm

/* idle_run(): does not return. */
	.global idle_run
idle_run:
	mov $VECTOR_TIMER, %eax
	mov $timer_interrupt, %edx
	call idt_set_gate
	mov $VECTOR_SPURIOUS, %eax
	mov $spurious_interrupt, %edx
	call idt_set_gate

	/* 1 GHz bus clock / 16 / TIMER_INIT_COUNT = 10 Hz, periodic. */
	movl $LAPIC_TIMER_DIV_16, LAPIC_BASE + LAPIC_TIMER_DIV
	movl $(LAPIC_LVT_PERIODIC | VECTOR_TIMER), LAPIC_BASE + LAPIC_LVT_TIMER
	movl $TIMER_INIT_COUNT, LAPIC_BASE + LAPIC_TIMER_INIT
1:	sti                           /* STI's shadow: no wakeup is lost */
	hlt
	jmp 1b

/* flood_run(): "flood" lines, a page at a time with REP OUTSB (one exit
 * per page, so even a slow host fills any pipe in moments), until the VMM
 * stops the guest. Does not return. */
	.global flood_run
flood_run:
	mov $flood_page, %edi
	mov $(FLOOD_LINES * 6), %ecx
	xor %ebx, %ebx
1:	movzbl msg_flood(%ebx), %eax
	stosb
	inc %ebx
	cmp $6, %ebx
	jne 2f
	xor %ebx, %ebx
2:	loop 1b
	cld
3:	mov $flood_page, %esi
	mov $(FLOOD_LINES * 6), %ecx
	mov $(PORT_COM1 + UART_THR), %dx
	rep outsb
	jmp 3b

timer_interrupt:
	pusha
	incl ticks
	mov ticks, %eax
	xor %edx, %edx
	mov $TICKS_PER_LINE, %ecx
	div %ecx
	test %edx, %edx
	jnz 1f
	mov $msg_tick, %eax
	mov ticks, %edx
	mov $str_newline, %ecx
	call console_line
1:	movl $0, LAPIC_BASE + LAPIC_EOI
	popa
	interrupt_return

/* SDM vol. 3A 11.9: a spurious interrupt is not acknowledged with EOI. */
spurious_interrupt:
	interrupt_return

	.section .rodata
msg_tick:
	.asciz "tick "
msg_flood:
	.ascii "flood\n"

	.bss
	.balign 4
ticks:
	.long 0
	.balign 16
flood_page:
	.skip FLOOD_LINES * 6
