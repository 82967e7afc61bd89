/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cpuid: what the guest is told about its hypervisor. The hypervisor bit
 * (CPUID.1:ECX[31]) and the 12-byte signature and highest leaf at 0x40000000
 * and 0x40000100, where the VMM may move KVM's leaves when Hyper-V's take
 * the first block:
 *   cpuid hypervisor bit: 1
 *   cpuid 0x40000000: 'Microsoft Hv' max 0x40000005
 *   cpuid 0x40000100: 'KVMKVMKVM' max 0x40000101
 * The signature ends at its first NUL; other unprintable bytes print as
 * '.', so a leaf the VMM does not fill never garbles the console.
 */
#include "guest.h"

#define CPUID_HV_BIT   31
#define CPUID_HV_FIRST 0x40000000
#define CPUID_HV_NEXT  0x40000100     /* Linux looks in steps of 0x100 */
#define SIG_LEN        12

	.code32
	.text

/* cpuid_report() */
	.global cpuid_report
cpuid_report:
	push %ebx
	mov $1, %eax
	xor %ecx, %ecx
	cpuid
	mov %ecx, %edx
	shr $CPUID_HV_BIT, %edx
	mov $msg_hv_bit, %eax
	mov $str_newline, %ecx
	call console_line
	mov $CPUID_HV_FIRST, %eax
	call report_leaf
	mov $CPUID_HV_NEXT, %eax
	call report_leaf
	pop %ebx
	ret

/* report_leaf(EAX = leaf): its line, under the console lock */
report_leaf:
	push %ebx
	push %esi
	push %edi
	push %ebp
	mov %eax, %ebp                /* EBP: the leaf */
	xor %ecx, %ecx
	cpuid
	sub $(SIG_LEN + 4), %esp      /* the signature and a NUL */
	mov %ebx, (%esp)
	mov %ecx, 4(%esp)
	mov %edx, 8(%esp)
	movb $0, SIG_LEN(%esp)
	mov %eax, %edi                /* EDI: the highest leaf */
	call console_lock
	mov $msg_cpuid, %eax
	call console_puts
	mov %ebp, %eax
	call console_put_hex
	mov $msg_sig_open, %eax
	call console_puts
	mov %esp, %esi
1:	movzbl (%esi), %eax
	test %al, %al
	jz 3f
	cmp $' ', %al
	jb 2f
	cmp $'~', %al
	jbe 4f
2:	mov $'.', %al
4:	call console_putc
	inc %esi
	jmp 1b
3:	mov $msg_sig_max, %eax
	call console_puts
	mov %edi, %eax
	call console_put_hex
	mov $str_newline, %eax
	call console_puts
	call console_unlock
	add $(SIG_LEN + 4), %esp
	pop %ebp
	pop %edi
	pop %esi
	pop %ebx
	ret

	.section .rodata
msg_hv_bit:   .asciz "cpuid hypervisor bit: "
msg_cpuid:    .asciz "cpuid "
msg_sig_open: .asciz ": '"
msg_sig_max:  .asciz "' max "
