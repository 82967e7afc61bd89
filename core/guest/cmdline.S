/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The command line: space-separated words, unknown ones ignored.
 *   idle          keep running, print "tick N" lines (idle.S)
 *   flood         keep printing "flood" lines a page at a time (idle.S):
 *                 a console nobody reads
 *   exit=N        exit with value N (0..255) instead of 0x10
 *   reset         count boots in CMOS NVRAM, reset once (reset.S)
 *   triple-fault  triple-fault right away (idt.S)
 *   acpi-scan     ignore the start info's RSDP address and scan the BIOS
 *                 area for the RSDP, as a guest booted without it would
 *   cpuid         print the hypervisor bit and signatures (cpuid.S)
 */
#include "guest.h"

	.code32
	.text

/* cmdline_parse(EAX = NUL-terminated command line, or 0) */
	.global cmdline_parse
cmdline_parse:
	push %ebx
	push %esi
	push %edi
	push %ebp
	movb $EXIT_VALUE_PASS, exit_value
	test %eax, %eax
	jz 9f
	mov %eax, %esi                /* ESI: cursor */
	lea CMDLINE_MAX(%eax), %ebp   /* EBP: read no further */

next_word:
	cmp %ebp, %esi
	jae 9f
	movzbl (%esi), %eax
	test %al, %al
	jz 9f
	cmp $' ', %al
	jne 1f
	inc %esi
	jmp next_word
1:	mov %esi, %ebx                /* EBX: word, EDI: its length */
2:	inc %esi
	cmp %ebp, %esi
	jae 3f
	movzbl (%esi), %eax
	test %al, %al
	jz 3f
	cmp $' ', %al
	jne 2b
3:	mov %esi, %edi
	sub %ebx, %edi

	mov $kw_idle, %ecx
	call word_is
	jne 4f
	movb $1, opt_idle
	jmp next_word
4:	mov $kw_flood, %ecx
	call word_is
	jne 4f
	movb $1, opt_flood
	jmp next_word
4:	mov $kw_reset, %ecx
	call word_is
	jne 4f
	movb $1, opt_reset
	jmp next_word
4:	mov $kw_triple_fault, %ecx
	call word_is
	jne 4f
	movb $1, opt_triple_fault
	jmp next_word
4:	mov $kw_acpi_scan, %ecx
	call word_is
	jne 4f
	movb $1, opt_acpi_scan
	jmp next_word
4:	mov $kw_cpuid, %ecx
	call word_is
	jne 4f
	movb $1, opt_cpuid
	jmp next_word
4:	call parse_exit
	jmp next_word

9:	pop %ebp
	pop %edi
	pop %esi
	pop %ebx
	ret

/*
 * word_is(ECX = NUL-terminated keyword), word in EBX, length EDI:
 * ZF set when the word is exactly the keyword.
 */
word_is:
	push %esi
	push %edi
	mov %ebx, %esi
	xchg %ecx, %edi               /* EDI: keyword, ECX: length (>= 1) */
	repe cmpsb
	jne 1f
	cmpb $0, (%edi)               /* and the keyword ends here too */
1:	pop %edi
	pop %esi
	ret

/*
 * parse_exit(), word in EBX, length EDI: "exit=N" with N a decimal
 * 0..255 sets exit_value; any other word is ignored.
 */
parse_exit:
	push %esi
	mov $(kw_exit_end - kw_exit), %ecx
	cmp %ecx, %edi
	jbe 9f                        /* "exit=" needs at least one digit */
	cmp $(kw_exit_end - kw_exit + 3), %edi
	ja 9f                         /* more than three digits */
	push %edi
	mov %ebx, %esi
	mov $kw_exit, %edi
	repe cmpsb
	pop %edi
	jne 9f
	lea (%ebx,%edi), %ecx         /* ECX: end of the word */
	xor %edx, %edx                /* EDX: value */
1:	movzbl (%esi), %eax
	sub $'0', %eax
	cmp $9, %eax
	ja 9f
	imul $10, %edx
	add %eax, %edx
	inc %esi
	cmp %ecx, %esi
	jb 1b
	cmp $255, %edx
	ja 9f
	mov %dl, exit_value
9:	pop %esi
	ret

	.section .rodata
kw_idle:         .asciz "idle"
kw_flood:        .asciz "flood"
kw_reset:        .asciz "reset"
kw_triple_fault: .asciz "triple-fault"
kw_acpi_scan:    .asciz "acpi-scan"
kw_cpuid:        .asciz "cpuid"
kw_exit:         .ascii "exit="
kw_exit_end:

	.bss
	.global opt_idle, opt_flood, opt_reset, opt_triple_fault, opt_acpi_scan, opt_cpuid
	.global exit_value
opt_idle:         .byte 0
opt_flood:        .byte 0
opt_acpi_scan:    .byte 0
opt_cpuid:        .byte 0
opt_reset:        .byte 0
opt_triple_fault: .byte 0
exit_value:       .byte 0
