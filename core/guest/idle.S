/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * idle: run until the VMM stops the guest. The LAPIC timer interrupts
 * ~10 times a second and every 10th tick prints "tick N" (N = ticks so
 * far), so a paused VM shows as ticks that stop advancing.
 */
#include "guest.h"

	.code32
	.text

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
	iret

/* SDM vol. 3A 11.9: a spurious interrupt is not acknowledged with EOI. */
spurious_interrupt:
	iret

	.section .rodata
msg_tick:
	.asciz "tick "

	.bss
	.balign 4
ticks:
	.long 0
