/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The embedded test guest: constants shared by its assembly files.
 *
 * The guest runs in 32-bit protected mode with flat segments and paging
 * off, so guest-physical addresses are used directly as pointers.
 *
 * Calling convention between its functions: arguments in EAX, EDX, ECX
 * (gcc's regparm(3) order), result in EAX; EBX, ESI, EDI and EBP are
 * preserved, EAX, ECX, EDX and the flags are not. A function marked
 * "does not return" ends the VM (guest_exit, guest_fail).
 */
#ifndef PARTVM_GUEST_H
#define PARTVM_GUEST_H

/* Segment selectors of the guest's GDT (entry.S), shared with the APs. */
#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define GDT_SIZE (3 * 8)

/* Xen public/elfnote.h and public/arch-x86/hvm/start_info.h. */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC          0x336ec578
#define HVM_START_MAGIC_OFF      0
#define HVM_START_VERSION_OFF    4
#define HVM_START_CMDLINE_OFF    24    /* u64 */
#define HVM_START_RSDP_OFF       32    /* u64 */
#define HVM_START_MEMMAP_OFF     40    /* u64, version >= 1 */
#define HVM_START_MEMMAP_NR_OFF  48    /* u32, version >= 1 */
#define HVM_MEMMAP_ENTRY_SIZE    24    /* {u64 addr, u64 size, u32 type, u32 rsvd} */
#define HVM_MEMMAP_SIZE_OFF      8
#define HVM_MEMMAP_TYPE_OFF      16
#define HVM_MEMMAP_TYPE_RAM      1
/* More entries than any VMM gives; bounds a walk over a garbage table. */
#define HVM_MEMMAP_MAX_ENTRIES   1024

/* The command line: longer ones are read only this far. */
#define CMDLINE_MAX 4096

/* 16550 UART at COM1: transmit holding register and line status. */
#define PORT_COM1     0x3f8
#define UART_THR      0
#define UART_LSR      5
#define UART_LSR_THRE 0x20
/* LSR polls per byte before writing anyway (no UART: never hang). */
#define UART_POLL_MAX 100000

/* isa-debug-exit: the VMM exits with status (value << 1) | 1. */
#define PORT_DEBUG_EXIT  0xf4
#define EXIT_VALUE_PASS  0x10
#define EXIT_VALUE_FAIL  0x11

/* MC146818 RTC: CMOS index/data; NVRAM byte 0x38 counts boots. */
#define PORT_CMOS_INDEX  0x70
#define PORT_CMOS_DATA   0x71
#define CMOS_BOOT_COUNT  0x38

/* i8042 controller command 0xfe pulses the CPU reset line. */
#define PORT_I8042_CMD   0x64
#define I8042_CMD_RESET  0xfe
/* How long to wait for the reset before reporting that it did not come. */
#define RESET_WAIT_US    1000000

/* Local APIC, xAPIC MMIO interface (Intel SDM vol. 3A, chapter 11). */
#define LAPIC_BASE        0xfee00000
#define LAPIC_ID          0x020    /* APIC ID in bits 31:24 */
#define LAPIC_TPR         0x080
#define LAPIC_EOI         0x0b0
#define LAPIC_SVR         0x0f0
#define LAPIC_ICR_LO      0x300
#define LAPIC_ICR_HI      0x310    /* destination in bits 31:24 */
#define LAPIC_LVT_TIMER   0x320
#define LAPIC_LVT_LINT0   0x350
#define LAPIC_LVT_ERROR   0x370
#define LAPIC_TIMER_INIT  0x380
#define LAPIC_TIMER_CUR   0x390
#define LAPIC_TIMER_DIV   0x3e0

#define LAPIC_ID_SHIFT        24
#define LAPIC_SVR_ENABLE      0x100
#define LAPIC_LVT_MASKED      0x10000
#define LAPIC_LVT_PERIODIC    0x20000
#define LAPIC_TIMER_DIV_1     0xb
#define LAPIC_TIMER_DIV_16    0x3
#define LAPIC_ICR_INIT        0x500
#define LAPIC_ICR_STARTUP     0x600
#define LAPIC_ICR_ASSERT      0x4000
#define LAPIC_ICR_BUSY        0x1000   /* delivery status: send pending */
#define LAPIC_ICR_POLL_MAX    100000
/* 255 is the xAPIC broadcast destination: the highest ID one can target. */
#define LAPIC_XAPIC_MAX_ID    254

/*
 * KVM's (and QEMU's) LAPIC timer counts at a 1 GHz bus clock: at divide 1
 * one count is one nanosecond. That is the guest's only clock.
 */
#define LAPIC_COUNTS_PER_US   1000
#define DELAY_MAX_US          4000000   /* 4e9 counts still fit 32 bits */

/* Interrupt vectors. */
#define VECTOR_EXCEPTIONS 32
#define VECTOR_TIMER      0x20
#define VECTOR_SPURIOUS   0xff
#define IDT_ENTRIES       256
#define IDT_GATE_INTR32   0x8e00   /* present, DPL 0, 32-bit interrupt gate */
/* Exceptions that push an error code: 8, 10-14, 17, 21, 29, 30. */
#define EXC_ERROR_CODE_MASK 0x60227d00

/* idle: ~10 Hz timer, 1e9 / 16 / 10 counts; a "tick N" line every 10. */
#define TIMER_INIT_COUNT  6250000
#define TICKS_PER_LINE    10

/* ACPI 6.5, 5.2.5 (RSDP), 5.2.6 (header), 5.2.12 (MADT). */
#define ACPI_SCAN_START       0xe0000
#define ACPI_SCAN_END         0x100000
#define ACPI_SCAN_STEP        16
#define RSDP_CHECKSUM_LEN     20      /* ACPI 1.0 part */
#define RSDP_REVISION_OFF     15
#define RSDP_RSDT_OFF         16
#define RSDP_LENGTH_OFF       20
#define RSDP_XSDT_OFF         24
#define RSDP_V2_LEN           36
#define RSDP_MAX_LEN          1024
#define ACPI_HDR_LENGTH_OFF   4
#define ACPI_HDR_SIZE         36
#define ACPI_TABLE_MAX_LEN    0x100000
#define MADT_ENTRIES_OFF      44
#define MADT_TYPE_LAPIC       0       /* {type, len, uid u8, id u8, flags u32} */
#define MADT_LAPIC_LEN        8
#define MADT_LAPIC_ID_OFF     3
#define MADT_LAPIC_FLAGS_OFF  4
#define MADT_TYPE_X2APIC      9       /* {type, len, rsvd u16, id u32, flags u32, uid u32} */
#define MADT_X2APIC_LEN       16
#define MADT_X2APIC_ID_OFF    4
#define MADT_X2APIC_FLAGS_OFF 8
#define MADT_FLAG_ENABLED     1

/* CPUs: the BSP plus up to MAX_CPUS - 1 APs, each on its own stack. */
#define MAX_CPUS          255
#define BSP_STACK_SIZE    4096
#define AP_STACK_SHIFT    10          /* 1 KiB each */
/*
 * The AP trampoline page. Below 1 MiB because an AP starts in real mode,
 * and clear of the VMM's boot data (below 0x8000 and from 0x20000).
 */
#define TRAMPOLINE_ADDR   0x8000
#define SIPI_VECTOR       (TRAMPOLINE_ADDR >> 12)
#define CR0_PE            1

/* Intel MP spec B.4: INIT, 10 ms, STARTUP, 200 us, STARTUP, 200 us. */
#define INIT_DELAY_US     10000
#define SIPI_DELAY_US     200
/* How long the BSP waits for every AP to check in, 1 ms at a time. */
#define AP_WAIT_MS        5000

#endif
