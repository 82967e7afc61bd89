/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * reset: one CMOS NVRAM byte counts the boots. The RTC keeps NVRAM across
 * a VM reset as real hardware does, so the first boot sees 0, sets it to
 * 1 and resets through the i8042; the second sees 1 and goes on.
 */
#include "guest.h"

	.code32
	.text

/* reset_count_boot(): print "boot count: K"; returns only when K >= 1. */
	.global reset_count_boot
reset_count_boot:
	push %ebx
	mov $CMOS_BOOT_COUNT, %al
	outb %al, $PORT_CMOS_INDEX
	inb $PORT_CMOS_DATA, %al
	movzbl %al, %ebx
	mov $msg_boot_count, %eax
	mov %ebx, %edx
	mov $str_newline, %ecx
	call console_line
	test %ebx, %ebx
	jz 1f
	pop %ebx
	ret

1:	mov $CMOS_BOOT_COUNT, %al
	outb %al, $PORT_CMOS_INDEX
	mov $1, %al
	outb %al, $PORT_CMOS_DATA
	mov $I8042_CMD_RESET, %al
	outb %al, $PORT_I8042_CMD
	/* The VMM resets us now; if it does not, say so rather than hang. */
	mov $RESET_WAIT_US, %eax
	call delay_us
	mov $msg_no_reset, %eax
	jmp guest_fail

	.section .rodata
msg_boot_count:
	.asciz "boot count: "
msg_no_reset:
	.asciz "no reset through the i8042"
