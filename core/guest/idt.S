/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The interrupt descriptor table: every exception prints
 * "FAIL: exception V at 0xEIP" and exits, so a broken guest says where
 * it broke instead of resetting; and the deliberate triple fault.
 */
#include "guest.h"

	.code32
	.text

/* idt_init(): exception gates for vectors 0-31, then load the IDT. */
	.global idt_init
idt_init:
	push %ebx
	xor %ebx, %ebx
1:	mov %ebx, %eax
	lea exception_stubs(,%ebx,8), %edx
	call idt_set_gate
	inc %ebx
	cmp $VECTOR_EXCEPTIONS, %ebx
	jb 1b
	pop %ebx
	/* fall through */

/* idt_load(): load the shared IDT on this CPU. */
	.global idt_load
idt_load:
	lidt idt_desc
	ret

/* idt_set_gate(EAX = vector, EDX = handler): a 32-bit interrupt gate. */
	.global idt_set_gate
idt_set_gate:
	lea idt(,%eax,8), %ecx
	mov %edx, %eax
	and $0xffff, %eax             /* offset 15:0, selector */
	or $(SEL_CODE << 16), %eax
	mov %eax, (%ecx)
	and $0xffff0000, %edx         /* offset 31:16, type */
	or $IDT_GATE_INTR32, %edx
	mov %edx, 4(%ecx)
	ret

/*
 * triple_fault: with an empty IDT (limit 0) the #UD cannot be delivered,
 * nor the #GP that follows, nor the #DF: the CPU shuts down (SDM vol. 3A,
 * 6.15, interrupt 8).
 */
	.global triple_fault
triple_fault:
	lidt empty_idt_desc
	ud2

/* One 8-byte stub per exception vector: push the vector, go on. */
	.balign 8
exception_stubs:
	.irp vector, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.balign 8
	push $\vector
	jmp exception
	.endr

/*
 * exception: the vector on top of the stack, then the error code if this
 * vector pushes one, then the faulting EIP. Does not return.
 */
exception:
	pop %ebx                      /* EBX: vector */
	mov $EXC_ERROR_CODE_MASK, %eax
	bt %ebx, %eax
	jnc 1f
	add $4, %esp                  /* drop the error code */
1:	pop %esi                      /* ESI: EIP */
	mov $msg_fail, %eax
	call console_puts
	mov $msg_exception, %eax
	call console_puts
	mov %ebx, %eax
	call console_put_dec
	mov $msg_at, %eax
	call console_puts
	mov %esi, %eax
	call console_put_hex
	mov $str_newline, %eax
	call console_puts
	mov $EXIT_VALUE_FAIL, %eax
	jmp guest_exit

	.section .rodata
	.balign 4
msg_exception:
	.asciz "exception "
msg_at:
	.asciz " at "
	.balign 2
idt_desc:
	.word IDT_ENTRIES * 8 - 1
	.long idt
empty_idt_desc:
	.word 0
	.long 0

	.bss
	.balign 8
idt:
	.skip IDT_ENTRIES * 8
