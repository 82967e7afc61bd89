/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ACPI: find the RSDP, the XSDT (or RSDT) and the MADT, check their
 * checksums, and collect the APIC IDs of the enabled processors
 * (ACPI 6.5: 5.2.5 RSDP, 5.2.7 RSDT, 5.2.8 XSDT, 5.2.12 MADT).
 * Lengths come from the VMM: each is bounded before it is used.
 */
#include "guest.h"

	.code32
	.text

/*
 * acpi_find_cpus(EAX = RSDP address from the start info, or 0 to scan
 * the BIOS area): fills cpu_ids[] and cpu_count, or fails.
 */
	.global acpi_find_cpus
acpi_find_cpus:
	call find_rsdp
	call find_madt
	jmp collect_cpus

/*
 * find_madt(EAX = RSDP) -> EAX = the checked MADT, found through the XSDT
 * (ACPI 2.0+ RSDP, revision >= 2, once its extended checksum holds) or
 * else the RSDT. Tables above 4 GiB are out of reach.
 */
find_madt:
	push %ebx
	push %esi
	push %edi
	mov %eax, %ebx
	cmpb $2, RSDP_REVISION_OFF(%ebx)
	jb use_rsdt
	mov RSDP_LENGTH_OFF(%ebx), %edx
	cmp $RSDP_V2_LEN, %edx
	jb 1f
	cmp $RSDP_MAX_LEN, %edx
	ja 1f
	mov %ebx, %eax
	call acpi_checksum
	jz 2f
1:	mov $msg_rsdp_ext, %eax
	jmp guest_fail
2:	cmpl $0, RSDP_XSDT_OFF + 4(%ebx)
	jne use_rsdt
	mov RSDP_XSDT_OFF(%ebx), %eax
	test %eax, %eax
	jz use_rsdt

	mov $sig_xsdt, %edx
	call check_table              /* EAX: XSDT, EDX: its length */
	lea (%eax,%edx), %edi         /* EDI: its end */
	lea ACPI_HDR_SIZE(%eax), %esi /* ESI: its first u64 entry */
1:	lea 8(%esi), %eax
	cmp %edi, %eax
	ja no_madt
	mov (%esi), %eax
	cmpl $0, 4(%esi)
	jne 2f
	call is_madt
	jz found_madt
2:	add $8, %esi
	jmp 1b

use_rsdt:
	mov RSDP_RSDT_OFF(%ebx), %eax
	mov $sig_rsdt, %edx
	call check_table              /* EAX: RSDT, EDX: its length */
	lea (%eax,%edx), %edi
	lea ACPI_HDR_SIZE(%eax), %esi /* ESI: its first u32 entry */
1:	lea 4(%esi), %eax
	cmp %edi, %eax
	ja no_madt
	mov (%esi), %eax
	call is_madt
	jz found_madt
	add $4, %esi
	jmp 1b

no_madt:
	mov $msg_no_madt, %eax
	jmp guest_fail

found_madt:
	mov (%esi), %eax
	mov $sig_madt, %edx
	call check_table
	cmp $MADT_ENTRIES_OFF, %edx
	jae 1f
	mov $msg_madt_length, %eax
	jmp guest_fail
1:	pop %edi
	pop %esi
	pop %ebx
	ret

/*
 * collect_cpus(EAX = checked MADT): the APIC IDs of its enabled Local
 * APIC (type 0) and x2APIC (type 9) entries into cpu_ids[].
 */
collect_cpus:
	push %esi
	push %edi
	mov ACPI_HDR_LENGTH_OFF(%eax), %edi
	add %eax, %edi                /* EDI: end of the MADT */
	lea MADT_ENTRIES_OFF(%eax), %esi
1:	lea 2(%esi), %eax             /* ESI: entry {u8 type, u8 length, ...} */
	cmp %edi, %eax
	ja 8f
	movzbl 1(%esi), %ecx
	cmp $2, %ecx
	jb 9f
	lea (%esi,%ecx), %eax
	cmp %edi, %eax
	ja 9f
	cmpb $MADT_TYPE_LAPIC, (%esi)
	jne 2f
	cmp $MADT_LAPIC_LEN, %ecx
	jb 3f
	testl $MADT_FLAG_ENABLED, MADT_LAPIC_FLAGS_OFF(%esi)
	jz 3f
	movzbl MADT_LAPIC_ID_OFF(%esi), %eax
	call add_cpu
	jmp 3f
2:	cmpb $MADT_TYPE_X2APIC, (%esi)
	jne 3f
	cmp $MADT_X2APIC_LEN, %ecx
	jb 3f
	testl $MADT_FLAG_ENABLED, MADT_X2APIC_FLAGS_OFF(%esi)
	jz 3f
	mov MADT_X2APIC_ID_OFF(%esi), %eax
	call add_cpu
3:	movzbl 1(%esi), %ecx
	add %ecx, %esi
	jmp 1b
8:	pop %edi
	pop %esi
	ret
9:	mov $msg_madt_entries, %eax
	jmp guest_fail

/* add_cpu(EAX = APIC ID): append to cpu_ids[], fail past MAX_CPUS. */
add_cpu:
	mov cpu_count, %ecx
	cmp $MAX_CPUS, %ecx
	jae 1f
	mov %eax, cpu_ids(,%ecx,4)
	incl cpu_count
	ret
1:	mov $msg_too_many, %eax
	jmp guest_fail

/*
 * find_rsdp(EAX = address or 0) -> EAX = RSDP with a valid ACPI 1.0
 * checksum. A given address must hold one; otherwise scan the BIOS
 * read-only area on 16-byte boundaries (ACPI 6.5, 5.2.5.1).
 */
find_rsdp:
	push %ebx
	mov %eax, %ebx
	test %ebx, %ebx
	jz 2f
	call is_rsdp_sig
	jz 1f
	mov $msg_rsdp_sig, %eax
	jmp guest_fail
1:	mov %ebx, %eax
	mov $RSDP_CHECKSUM_LEN, %edx
	call acpi_checksum
	jz 8f
	mov $msg_rsdp_sum, %eax
	jmp guest_fail

2:	mov $ACPI_SCAN_START, %ebx
3:	mov %ebx, %eax
	call is_rsdp_sig
	jnz 4f
	mov %ebx, %eax
	mov $RSDP_CHECKSUM_LEN, %edx
	call acpi_checksum
	jz 8f
4:	add $ACPI_SCAN_STEP, %ebx
	cmp $ACPI_SCAN_END, %ebx
	jb 3b
	mov $msg_no_rsdp, %eax
	jmp guest_fail
8:	mov %ebx, %eax
	pop %ebx
	ret

/* is_rsdp_sig(EAX = address): ZF set when it starts with "RSD PTR ". */
is_rsdp_sig:
	push %esi
	push %edi
	mov %eax, %esi
	mov $sig_rsdp, %edi
	mov $8, %ecx
	repe cmpsb
	pop %edi
	pop %esi
	ret

/* is_madt(EAX = table address): ZF set when its signature is "APIC". */
is_madt:
	mov sig_madt, %edx
	cmp %edx, (%eax)
	ret

/*
 * check_table(EAX = table, EDX = {4-byte signature, name}) -> EAX =
 * table, EDX = its length; fails with "<name> signature|length|checksum".
 */
check_table:
	push %ebx
	push %esi
	mov %eax, %ebx
	mov %edx, %esi
	mov (%edx), %eax
	cmp %eax, (%ebx)
	jne 7f
	mov ACPI_HDR_LENGTH_OFF(%ebx), %edx
	cmp $ACPI_HDR_SIZE, %edx
	jb 8f
	cmp $ACPI_TABLE_MAX_LEN, %edx
	ja 8f
	mov %ebx, %eax
	call acpi_checksum
	jnz 9f
	mov %ebx, %eax
	mov ACPI_HDR_LENGTH_OFF(%ebx), %edx
	pop %esi
	pop %ebx
	ret
7:	mov $msg_signature, %edx
	jmp table_fail
8:	mov $msg_length, %edx
	jmp table_fail
9:	mov $msg_checksum, %edx
table_fail:
	push %edx
	mov $msg_fail, %eax
	call console_puts
	lea 4(%esi), %eax
	call console_puts
	pop %eax
	jmp guest_fail_finish

/* acpi_checksum(EAX = bytes, EDX = count): ZF set when they sum to 0. */
acpi_checksum:
	mov %eax, %ecx
	add %ecx, %edx                /* EDX: end */
	xor %eax, %eax
1:	cmp %edx, %ecx
	jae 2f
	add (%ecx), %al
	inc %ecx
	jmp 1b
2:	test %al, %al
	ret

	.section .rodata
sig_rsdp:         .ascii "RSD PTR "
sig_xsdt:         .ascii "XSDT"
                  .asciz "XSDT"
sig_rsdt:         .ascii "RSDT"
                  .asciz "RSDT"
sig_madt:         .ascii "APIC"
                  .asciz "MADT"
msg_no_rsdp:      .asciz "no RSDP"
msg_rsdp_sig:     .asciz "RSDP signature"
msg_rsdp_sum:     .asciz "RSDP checksum"
msg_rsdp_ext:     .asciz "RSDP extended checksum"
msg_no_madt:      .asciz "no MADT"
msg_madt_length:  .asciz "MADT length"
msg_madt_entries: .asciz "MADT entries"
msg_too_many:     .asciz "more than 255 cpus"
msg_signature:    .asciz " signature"
msg_length:       .asciz " length"
msg_checksum:     .asciz " checksum"

	.bss
	.balign 4
	.global cpu_count, cpu_ids
cpu_count:
	.long 0
cpu_ids:
	.skip 4 * MAX_CPUS
