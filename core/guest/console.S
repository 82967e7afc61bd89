/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Serial console on the COM1 16550: polled output, decimal and hex
 * numbers, and the lock that keeps the lines of several CPUs whole.
 */
#include "guest.h"

	.code32
	.text

/* console_putc(AL = byte) */
	.global console_putc
console_putc:
	push %ebx
	mov %eax, %ebx
	mov $UART_POLL_MAX, %ecx
	mov $(PORT_COM1 + UART_LSR), %dx
1:	inb %dx, %al
	test $UART_LSR_THRE, %al
	jnz 2f
	pause
	loop 1b
2:	mov %ebx, %eax
	mov $(PORT_COM1 + UART_THR), %dx
	outb %al, %dx
	pop %ebx
	ret

/* console_write(EAX = bytes, EDX = count) */
	.global console_write
console_write:
	push %esi
	push %ebx
	mov %eax, %esi
	mov %edx, %ebx
	test %ebx, %ebx
	jz 2f
1:	movzbl (%esi), %eax
	call console_putc
	inc %esi
	dec %ebx
	jnz 1b
2:	pop %ebx
	pop %esi
	ret

/* console_puts(EAX = NUL-terminated string) */
	.global console_puts
console_puts:
	push %esi
	mov %eax, %esi
1:	movzbl (%esi), %eax
	test %al, %al
	jz 2f
	call console_putc
	inc %esi
	jmp 1b
2:	pop %esi
	ret

/* console_put_dec(EAX = unsigned value) */
	.global console_put_dec
console_put_dec:
	push %esi
	sub $12, %esp                 /* 10 digits and a NUL */
	lea 11(%esp), %esi
	movb $0, (%esi)
	mov $10, %ecx
1:	xor %edx, %edx
	div %ecx
	add $'0', %dl
	dec %esi
	mov %dl, (%esi)
	test %eax, %eax
	jnz 1b
	mov %esi, %eax
	call console_puts
	add $12, %esp
	pop %esi
	ret

/* console_put_hex(EAX = value): "0x" and eight digits */
	.global console_put_hex
console_put_hex:
	push %ebx
	push %esi
	mov %eax, %ebx
	mov $hex_prefix, %eax
	call console_puts
	mov $8, %esi
1:	rol $4, %ebx
	mov %ebx, %eax
	and $0xf, %eax
	movzbl hex_digits(%eax), %eax
	call console_putc
	dec %esi
	jnz 1b
	pop %esi
	pop %ebx
	ret

/*
 * console_line(EAX = text, EDX = number, ECX = text after it): one whole
 * line "<text><number><after>", under the console lock.
 */
	.global console_line
console_line:
	push %ebx
	push %esi
	push %edi
	mov %eax, %ebx
	mov %edx, %esi
	mov %ecx, %edi
	call console_lock
	mov %ebx, %eax
	call console_puts
	mov %esi, %eax
	call console_put_dec
	mov %edi, %eax
	call console_puts
	call console_unlock
	pop %edi
	pop %esi
	pop %ebx
	ret

/*
 * console_lock() / console_unlock(): a test-and-set spinlock around each
 * line, so that the APs' lines never interleave.
 */
	.global console_lock
console_lock:
1:	lock btsl $0, console_lock_word
	jnc 3f
2:	pause
	testl $1, console_lock_word
	jnz 2b
	jmp 1b
3:	ret

	.global console_unlock
console_unlock:
	movl $0, console_lock_word    /* a plain store releases on x86 (TSO) */
	ret

	.section .rodata
hex_prefix:
	.asciz "0x"
hex_digits:
	.ascii "0123456789abcdef"
	.global str_newline
str_newline:
	.asciz "\n"

	.bss
	.balign 4
console_lock_word:
	.long 0
