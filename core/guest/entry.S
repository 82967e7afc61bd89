/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The embedded test guest: PVH entry and the order of events.
 *
 * Entered per the Xen PVH boot ABI (docs/misc/pvh.pandoc): 32-bit
 * protected mode, flat CS/DS, paging and interrupts off, EBX = physical
 * address of struct hvm_start_info. It reports what the VMM gave it
 * (CPUs from the MADT, RAM from the memory map), starts every AP, and
 * exits through the debug-exit port; the command line picks variants
 * (cmdline.S). All mutable state is in .bss, which the guest clears
 * itself, so a VMM that resets the VM without reloading it is fine.
 */
#include "guest.h"

	/* Xen public/elfnote.h: the 32-bit entry point of a PVH kernel. */
	.section .note.Xen, "a"
	.balign 4
	.long 2f - 1f                 /* namesz */
	.long 4f - 3f                 /* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY
1:	.asciz "Xen"
2:	.balign 4
3:	.long pvh_start
4:

	.code32
	.text
	.global pvh_start
pvh_start:
	cld
	mov $bsp_stack_top, %esp
	/* First of all: the startup benchmark times exec to this byte. */
	mov $msg_banner, %eax
	call console_puts

	/* Clear .bss (nothing on the stack is live yet); keep EBX. */
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	shr $2, %ecx
	xor %eax, %eax
	rep stosl

	/* Our own GDT: the loader's may sit in memory we do not own. */
	lgdt gdt_desc
	ljmp $SEL_CODE, $1f
1:	mov $SEL_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs

	cmpl $HVM_START_MAGIC, HVM_START_MAGIC_OFF(%ebx)
	je 1f
	mov $msg_fail_magic, %eax
	jmp guest_fail
1:	mov %ebx, start_info

	/* A command line above 4 GiB is out of reach: treat it as none. */
	xor %eax, %eax
	cmpl $0, HVM_START_CMDLINE_OFF + 4(%ebx)
	jne 1f
	mov HVM_START_CMDLINE_OFF(%ebx), %eax
1:	call cmdline_parse

	cmpb $0, opt_triple_fault
	jne triple_fault

	call idt_init
	call lapic_init
	cmpb $0, opt_reset
	je 1f
	call reset_count_boot
1:
	call start_info_rsdp
	call acpi_find_cpus
	mov $msg_cpus, %eax
	mov cpu_count, %edx
	mov $str_newline, %ecx
	call console_line

	call memmap_ram_mib
	mov %eax, %edx
	mov $msg_memory, %eax
	mov $msg_mib, %ecx
	call console_line

	cmpb $0, opt_cpuid
	je 1f
	call cpuid_report
1:
	call smp_start_aps

	cmpb $0, opt_flood
	jne flood_run
	cmpb $0, opt_idle
	jne idle_run
	movzbl exit_value, %eax
	jmp guest_exit

/*
 * start_info_rsdp() -> EAX = RSDP address from the start info, 0 if none,
 * above 4 GiB or acpi-scan. The field exists from version 0 of the start
 * info on.
 */
start_info_rsdp:
	mov start_info, %ecx
	xor %eax, %eax
	cmpb $0, opt_acpi_scan
	jne 1f
	cmpl $0, HVM_START_RSDP_OFF + 4(%ecx)
	jne 1f
	mov HVM_START_RSDP_OFF(%ecx), %eax
1:	ret

/*
 * memmap_ram_mib() -> EAX = MiB of RAM (type 1) in the start info's
 * memory map, summed in 64 bits. Fails when there is no map.
 */
memmap_ram_mib:
	push %ebx
	push %esi
	push %edi
	mov start_info, %ecx
	cmpl $1, HVM_START_VERSION_OFF(%ecx)
	jb 9f
	cmpl $0, HVM_START_MEMMAP_OFF + 4(%ecx)
	jne 9f
	mov HVM_START_MEMMAP_OFF(%ecx), %esi
	test %esi, %esi
	jz 9f
	mov HVM_START_MEMMAP_NR_OFF(%ecx), %ecx
	test %ecx, %ecx
	jz 9f
	cmp $HVM_MEMMAP_MAX_ENTRIES, %ecx
	jbe 1f
	mov $HVM_MEMMAP_MAX_ENTRIES, %ecx
1:	xor %ebx, %ebx                /* EDI:EBX = bytes of RAM */
	xor %edi, %edi
2:	cmpl $HVM_MEMMAP_TYPE_RAM, HVM_MEMMAP_TYPE_OFF(%esi)
	jne 3f
	add HVM_MEMMAP_SIZE_OFF(%esi), %ebx
	adc HVM_MEMMAP_SIZE_OFF + 4(%esi), %edi
3:	add $HVM_MEMMAP_ENTRY_SIZE, %esi
	loop 2b
	shrd $20, %edi, %ebx          /* bytes to MiB; fits below 4 PiB */
	mov %ebx, %eax
	pop %edi
	pop %esi
	pop %ebx
	ret
9:	mov $msg_fail_memmap, %eax
	jmp guest_fail

/* guest_exit(AL = value): debug-exit port; does not return. */
	.global guest_exit
guest_exit:
	outb %al, $PORT_DEBUG_EXIT
1:	cli
	hlt
	jmp 1b

/* guest_fail(EAX = what): print "FAIL: <what>", exit 0x11; no return. */
	.global guest_fail
guest_fail:
	push %eax
	mov $msg_fail, %eax
	call console_puts
	pop %eax
	/* guest_fail_finish(EAX = the rest of a FAIL line already begun) */
	.global guest_fail_finish
guest_fail_finish:
	call console_puts
	mov $str_newline, %eax
	call console_puts
	mov $EXIT_VALUE_FAIL, %eax
	jmp guest_exit

	.section .rodata
	/* Flat 4 GiB code and data segments, 32-bit (SDM vol. 3A, 3.4.5). */
	.balign 8
	.global gdt
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff      /* SEL_CODE: base 0, limit 4 GiB, RX */
	.quad 0x00cf92000000ffff      /* SEL_DATA: base 0, limit 4 GiB, RW */
gdt_end:
	.if gdt_end - gdt - GDT_SIZE
	.error "GDT_SIZE does not match the GDT"
	.endif
gdt_desc:
	.word GDT_SIZE - 1
	.long gdt

msg_banner:      .asciz "partvm test guest\n"
msg_cpus:        .asciz "cpus: "
msg_memory:      .asciz "memory: "
msg_mib:         .asciz " MiB\n"
	.global msg_fail
msg_fail:        .asciz "FAIL: "
msg_fail_magic:  .asciz "start info magic"
msg_fail_memmap: .asciz "no memory map"

	.bss
	.balign 4
start_info:
	.long 0
	.balign 16
bsp_stack:
	.skip BSP_STACK_SIZE
bsp_stack_top:
