// SPDX-License-Identifier: GPL-2.0-only
/* Describe this VM to the ACPI builder and place the tables in guest RAM. */
#include <errno.h>
#include <stdlib.h>

#include "core/acpi/acpi.h"
#include "core/util/cleanup.h"
#include "core/vm/device.h"
#include "core/vm/layout.h"
#include "core/util/log.h"
#include "core/vm/pci.h"
#include "core/vm/vcpu.h"
#include "core/vm/vm.h"

int acpi_setup(struct vm *vm)
{
	_cleanup_free_ uint32_t *apic_ids = NULL;
	struct acpi_config c = {
		.ncpus = vm->ncpus,
		.lapic_addr = LAYOUT_LAPIC_START,
		.ioapic_addr = LAYOUT_IOAPIC_START,
		.ioapic_id = 0,
		.ecam_base = vm->mem.layout.ecam_base,
		.ecam_end_bus = LAYOUT_ECAM_BUSES - 1,
		.mmio32_base = vm->mem.layout.mmio32_base,
		.mmio32_size = vm->mem.layout.mmio32_size,
		.mmio64_base = vm->mem.layout.mmio64_base,
		.mmio64_size = vm->mem.layout.mmio64_size,
		.pm1a_evt_port = PORT_PM1A_EVT,
		.pm1a_cnt_port = PORT_PM1A_CNT,
		.pm_tmr_port = PORT_PM_TMR,
		.reset_port = PORT_RESET,
		.reset_value = 0x06,   /* SYS_RST | RST_CPU: a full reset */
		.sci_irq = IRQ_SCI,
	};
	struct acpi_tables out;
	void *buf;
	int r;

	apic_ids = calloc(vm->ncpus, sizeof(*apic_ids));
	if (!apic_ids)
		return -ENOMEM;
	for (unsigned i = 0; i < vm->ncpus; i++)
		apic_ids[i] = vcpu_apic_id(i);
	c.apic_ids = apic_ids;
	for (unsigned slot = 0; slot < PCI_MAX_SLOTS; slot++) {
		for (unsigned pin = 1; pin <= 4; pin++)
			c.prt_gsi[slot][pin - 1] = (uint8_t)pci_intx_gsi(slot, pin);
		/* The slot's functions share its Device and _PRT entries. */
		if (slot && vm->pci && vm->pci->slots[slot][0])
			c.pci_slot_mask |= 1U << slot;
	}

	/* What the devices add: COM1, the RTC, the TPM... */
	devices_acpi(vm, &c);

	buf = vm_guest_ptr(vm, LAYOUT_ACPI_START, LAYOUT_ACPI_SIZE);
	if (!buf)
		return -ENOMEM;
	r = acpi_build_tables(&c, buf, LAYOUT_ACPI_SIZE, LAYOUT_ACPI_START, &out);
	if (r < 0)
		return log_error_errno(r, "cannot build the ACPI tables: %m");
	vm->rsdp_gpa = out.rsdp_gpa;
	return 0;
}
