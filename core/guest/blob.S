/* The embedded test guest, carried inside partvm as its ELF bytes. */
	.section .rodata
	.balign 16
	.global testguest_elf_start
	.global testguest_elf_end
testguest_elf_start:
	.incbin TESTGUEST_ELF
testguest_elf_end:
	.section .note.GNU-stack,"",@progbits
