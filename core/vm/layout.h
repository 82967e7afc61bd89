/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest-physical address map of a partvm VM (x86-64 PC).
 *
 *   0x00000000 - 0x0009fbff  RAM (real-mode area, boot_params, page tables)
 *   0x0009fc00 - 0x0009ffff  reserved (EBDA)
 *   0x000e0000 - 0x000effff  reserved: ACPI tables, RSDP (legacy scan area)
 *   0x000f0000 - 0x000f7fff  reserved: TPM event log (the TPM2 table's LASA)
 *   0x000f8000 - 0x000fffff  reserved: SMBIOS entry point and tables
 *   0x00100000 - low end     RAM (kernel at 1 MiB)
 *   0x80000000 - 0xdfffffff  32-bit PCI MMIO window      \
 *   0xe0000000 - 0xe00fffff  PCIe ECAM (bus 0)            |  PCI hole
 *   0xfec00000               IOAPIC                       |  (2 GiB - 4 GiB)
 *   0xfed40000 - 0xfed44fff  TPM CRB (localities 0-4)     |
 *   0xfee00000               LAPIC                       /
 *   4 GiB - high end         RAM above the hole
 *   64-bit PCI MMIO window   from a 64 GiB multiple above RAM, sized to the BARs
 *
 * RAM up to 2 GiB lies below the hole; the rest starts at 4 GiB. A 2 GiB
 * hole, as on q35, leaves 1.5 GiB of 32-bit MMIO for devices whose BARs
 * must stay below 4 GiB.
 *
 * Booting a UEFI firmware (edk2's OvmfPkg/CloudHv platform), RAM lies where
 * it does above, and the firmware decides the rest (its
 * IndustryStandard/CloudHv.h and PlatformInitLib, edk2 2022.11):
 *
 *   0x000f0000               SMBIOS 3.0 entry point (CLOUDHV_SMBIOS_ADDRESS);
 *                            the firmware keeps its own TPM event log
 *   0xc0000000 - 0xfbffffff  32-bit PCI MMIO: the firmware assigns BARs in
 *                            [CLOUDHV_MMIO_HOLE_ADDRESS, 0xfc000000)
 *   0xfc000000 - 0xfc0fffff  PCIe ECAM, out of that aperture (the firmware
 *                            itself uses port 0xcf8)
 *   64-bit PCI MMIO          32 GiB (its PcdPciMmio64Size) at the first
 *                            32 GiB multiple above RAM, as it computes it
 *                            from CMOS 0x5b-0x5d
 */
#ifndef PARTVM_LAYOUT_H
#define PARTVM_LAYOUT_H

#define SZ_1K 0x400ULL
#define SZ_1M 0x100000ULL
#define SZ_2M 0x200000ULL
#define SZ_1G 0x40000000ULL

#define LAYOUT_EBDA_START        0x9fc00ULL
/* The BIOS area, e820-reserved: the ACPI tables, then the TPM event log
 * (Linux ignores a log outside reserved memory), then SMBIOS (its entry
 * point where Linux scans for it without EFI: 0xf0000-0xfffff). */
#define LAYOUT_BIOS_START        0xe0000ULL
#define LAYOUT_BIOS_SIZE         0x20000ULL
#define LAYOUT_ACPI_START        LAYOUT_BIOS_START
#define LAYOUT_ACPI_SIZE         0x10000ULL
#define LAYOUT_TPM_LOG_START     (LAYOUT_ACPI_START + LAYOUT_ACPI_SIZE)
#define LAYOUT_TPM_LOG_SIZE      0x8000ULL
#define LAYOUT_SMBIOS_START      (LAYOUT_TPM_LOG_START + LAYOUT_TPM_LOG_SIZE)
#define LAYOUT_SMBIOS_SIZE       0x8000ULL
#define LAYOUT_HIGH_MEMORY_START SZ_1M

#define LAYOUT_PCI_HOLE_START    0x80000000ULL
#define LAYOUT_PCI_HOLE_END      0x100000000ULL
#define LAYOUT_MMIO32_START      0x80000000ULL
#define LAYOUT_MMIO32_SIZE       0x60000000ULL
#define LAYOUT_ECAM_START        0xe0000000ULL
#define LAYOUT_ECAM_BUSES        1
#define LAYOUT_ECAM_SIZE         (LAYOUT_ECAM_BUSES * SZ_1M)
#define LAYOUT_IOAPIC_START      0xfec00000ULL
#define LAYOUT_TPM_CRB_START     0xfed40000ULL
#define LAYOUT_TPM_CRB_SIZE      0x5000ULL
#define LAYOUT_LAPIC_START       0xfee00000ULL

#define LAYOUT_FW_SMBIOS_START   0xf0000ULL
#define LAYOUT_FW_SMBIOS_SIZE    0x10000ULL
#define LAYOUT_FW_MMIO32_START   0xc0000000ULL
#define LAYOUT_FW_MMIO32_SIZE    (0xfc000000ULL - LAYOUT_FW_MMIO32_START)
#define LAYOUT_FW_ECAM_START     0xfc000000ULL
#define LAYOUT_FW_MMIO64_SIZE    (32 * SZ_1G)

/* The 64-bit window starts at the first multiple of this above RAM (at
 * the first GiB above RAM when the guest's physical address bits end
 * before that multiple's end: pci_host_init()) and is at least this large;
 * pci_host_size_mmio64() grows it with the BARs in it, up to those bits. */
#define LAYOUT_MMIO64_SIZE       (64 * SZ_1G)

/* Legacy I/O ports. */
#define PORT_COM1        0x3f8
#define IRQ_COM1         4
#define PORT_I8042_DATA  0x60
#define PORT_I8042_CMD   0x64
#define PORT_RTC         0x70
#define IRQ_RTC          8
#define PORT_DEBUG_EXIT  0xf4
#define PORT_PCI_CONFIG  0xcf8
#define PORT_RESET       0xcf9   /* ACPI FADT RESET_REG */
#define PORT_PM1A_EVT    0x600   /* PM1a_EVT_BLK: STS (2) + EN (2) */
#define PORT_PM1A_CNT    0x604   /* PM1a_CNT_BLK (2) */
#define PORT_PM_TMR      0x608   /* PM_TMR_BLK (4) */
#define IRQ_SCI          9

/* PCI INTx lines go to IOAPIC pins 16-23. */
#define PCI_INTX_GSI_BASE 16
#define PCI_INTX_GSI_COUNT 8

#endif
