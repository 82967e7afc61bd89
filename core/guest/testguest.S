/* Placeholder: prints a line and exits through port 0xf4. */
	.code32
	.section .note.Xen, "a"
	.balign 4
	.long 4, 4, 18           /* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_start
	.text
	.global pvh_start
pvh_start:
	mov $msg, %esi
1:	lodsb
	test %al, %al
	jz 2f
	mov $0x3f8, %dx
	outb %al, %dx
	jmp 1b
2:	xor %eax, %eax
	mov $0xf4, %dx
	outb %al, %dx
	hlt
	.section .rodata
msg:	.asciz "partvm test guest\n"
	.section .note.GNU-stack,"",@progbits
