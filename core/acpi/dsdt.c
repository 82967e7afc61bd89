// SPDX-License-Identifier: GPL-2.0-only
/*
 * The DSDT: the PCIe host bridge (with _CRS, _PRT, _OSC and one device per
 * populated slot), the motherboard reservation of ECAM, the ISA devices,
 * the vTPM and \_S5. In ASL terms:
 *
 *   Scope (\_SB) {
 *     Device (PCI0) { _HID PNP0A08, _CID PNP0A03, _SEG, _BBN, _UID, _CRS,
 *                     _PRT, _OSC, Device (Sxx) { _ADR } ... }
 *     Device (MBRD) { _HID PNP0C02, _UID, _CRS { Memory32Fixed (ECAM) } }
 *     Device (COM1), Device (RTC), Device (TPM)   as configured
 *   }
 *   Name (_S5, Package () { S5, S5, 0, 0 })
 */
#include <errno.h>
#include <stdio.h>

#include "core/acpi/aml.h"
#include "core/acpi/table.h"
#include "core/vm/layout.h"

#define PCI_SLOTS               32
#define PCI_PINS                4
#define PCI_CONFIG_PORT_LEN     8       /* CONFIG_ADDRESS + CONFIG_DATA */
#define COM1_PORT_LEN           8       /* 16550 registers */
#define RTC_PORT_LEN            2       /* index, data */

/* 6.3.7 _STA: present, enabled, shown in UI, functioning. */
#define STA_PRESENT_ALL         0x0f

/*
 * PCI Firmware Specification 3.3, 4.5.1: _OSC for PCI host bridges. Arg3
 * is the capabilities buffer: DWORD 1 carries the status bits below, DWORD
 * 2 the OS's support field, DWORD 3 the control it requests.
 */
#define PCI_HOST_BRIDGE_OSC_UUID "33db4d5b-1ff7-401c-9657-7441c03dd766"
#define OSC_UNRECOGNIZED_UUID   (1u << 2)
#define OSC_UNRECOGNIZED_REV    (1u << 3)

static void name_integer(struct aml *a, const char *name, uint64_t v)
{
	aml_name(a, name);
	aml_integer(a, v);
}

static void name_eisaid(struct aml *a, const char *name, const char *id)
{
	aml_name(a, name);
	aml_eisaid(a, id);
}

/* Or (NAME, VALUE, NAME) */
static void or_into(struct aml *a, const char *name, uint64_t value)
{
	aml_byte(a, AML_OR_OP);
	aml_name_string(a, name);
	aml_integer(a, value);
	aml_name_string(a, name);
}

static void pci0_crs(struct aml *a, const struct acpi_config *cfg)
{
	size_t res;

	aml_name(a, "_CRS");
	res = aml_resource_begin(a);
	aml_res_word_bus_number(a, 0, cfg->ecam_end_bus);
	/* The configuration ports are the bridge's own, not a window. */
	aml_res_io(a, PORT_PCI_CONFIG, PORT_PCI_CONFIG, 1, PCI_CONFIG_PORT_LEN);
	aml_res_word_io(a, 0, PORT_PCI_CONFIG - 1);
	aml_res_word_io(a, PORT_PCI_CONFIG + PCI_CONFIG_PORT_LEN, UINT16_MAX);
	aml_res_dword_memory(a, (uint32_t)cfg->mmio32_base,
			     (uint32_t)(cfg->mmio32_base + cfg->mmio32_size - 1),
			     false);
	if (cfg->mmio64_size)
		aml_res_qword_memory(a, cfg->mmio64_base,
				     cfg->mmio64_base + cfg->mmio64_size - 1,
				     true);
	aml_resource_end(a, res);
}

/*
 * 6.2.13 _PRT: Package { Address (slot << 16 | 0xffff), Pin, Source,
 * Source Index }. Source 0 means Source Index is a GSI: the VMM wires each
 * INTx pin straight to an IOAPIC input, with no link devices.
 */
static void pci0_prt(struct aml *a, const struct acpi_config *cfg)
{
	size_t prt;

	aml_name(a, "_PRT");
	prt = aml_package_begin(a, PCI_SLOTS * PCI_PINS);
	for (unsigned slot = 0; slot < PCI_SLOTS; slot++) {
		for (unsigned pin = 0; pin < PCI_PINS; pin++) {
			size_t entry = aml_package_begin(a, 4);

			aml_integer(a, (uint64_t)slot << 16 | 0xffff);
			aml_integer(a, pin);
			aml_integer(a, 0);
			aml_integer(a, cfg->prt_gsi[slot][pin]);
			aml_end(a, entry);
		}
	}
	aml_end(a, prt);
}

/*
 * Grant the OS every PCIe feature it asks for (the control field in DWORD
 * 3 is returned unchanged): there is no firmware in the guest that could
 * own hot plug, PME or AER, and without _OSC Linux would disable ASPM and
 * leave those services to a platform that does not implement them.
 *
 *   Method (_OSC, 4, Serialized) {
 *     CreateDWordField (Arg3, 0, CDW1)
 *     If (Arg0 == ToUUID (PCI host bridge)) {
 *       If (Arg1 != 1) { CDW1 |= UNRECOGNIZED_REV }
 *     } Else { CDW1 |= UNRECOGNIZED_UUID }
 *     Return (Arg3)
 *   }
 */
static void pci0_osc(struct aml *a)
{
	size_t method, cond, rev, other;

	method = aml_method_begin(a, "_OSC", 4, true);
	aml_byte(a, AML_CREATE_DWORD_FIELD_OP);
	aml_byte(a, AML_ARG0_OP + 3);
	aml_integer(a, 0);
	aml_name_string(a, "CDW1");

	cond = aml_if_begin(a);
	aml_byte(a, AML_LEQUAL_OP);
	aml_byte(a, AML_ARG0_OP);
	aml_uuid(a, PCI_HOST_BRIDGE_OSC_UUID);
	rev = aml_if_begin(a);
	aml_byte(a, AML_LNOT_OP);
	aml_byte(a, AML_LEQUAL_OP);
	aml_byte(a, AML_ARG0_OP + 1);
	aml_integer(a, 1);
	or_into(a, "CDW1", OSC_UNRECOGNIZED_REV);
	aml_end(a, rev);
	aml_end(a, cond);
	other = aml_else_begin(a);
	or_into(a, "CDW1", OSC_UNRECOGNIZED_UUID);
	aml_end(a, other);

	aml_byte(a, AML_RETURN_OP);
	aml_byte(a, AML_ARG0_OP + 3);
	aml_end(a, method);
}

static void pci0_slots(struct aml *a, const struct acpi_config *cfg)
{
	for (unsigned slot = 0; slot < PCI_SLOTS; slot++) {
		char name[5];
		size_t dev;

		if (!(cfg->pci_slot_mask & (1u << slot)))
			continue;
		snprintf(name, sizeof(name), "S%02X", slot);
		dev = aml_device_begin(a, name);
		/* 6.1.1 _ADR for PCI: device in the high word, function 0. */
		name_integer(a, "_ADR", (uint64_t)slot << 16);
		aml_end(a, dev);
	}
}

static void dev_pci0(struct aml *a, const struct acpi_config *cfg)
{
	size_t dev = aml_device_begin(a, "PCI0");

	name_eisaid(a, "_HID", "PNP0A08");
	name_eisaid(a, "_CID", "PNP0A03");
	name_integer(a, "_SEG", 0);
	name_integer(a, "_BBN", 0);
	name_integer(a, "_UID", 0);
	pci0_crs(a, cfg);
	pci0_prt(a, cfg);
	pci0_osc(a);
	pci0_slots(a, cfg);
	aml_end(a, dev);
}

/* Linux uses MMCONFIG only when a PNP0C01/PNP0C02 device reserves it. */
static void dev_motherboard(struct aml *a, const struct acpi_config *cfg)
{
	uint64_t ecam_size = (cfg->ecam_end_bus + 1) * ACPI_ECAM_BUS_SIZE;
	size_t dev = aml_device_begin(a, "MBRD");
	size_t res;

	name_eisaid(a, "_HID", "PNP0C02");
	name_integer(a, "_UID", 0);
	aml_name(a, "_CRS");
	res = aml_resource_begin(a);
	aml_res_memory32_fixed(a, (uint32_t)cfg->ecam_base,
			       (uint32_t)ecam_size, true);
	aml_resource_end(a, res);
	aml_end(a, dev);
}

static void dev_isa(struct aml *a, const char *name, const char *hid,
		    uint16_t port, uint8_t port_len, unsigned irq)
{
	size_t dev = aml_device_begin(a, name);
	size_t res;

	name_eisaid(a, "_HID", hid);
	name_integer(a, "_UID", 1);
	aml_name(a, "_CRS");
	res = aml_resource_begin(a);
	aml_res_io(a, port, port, 1, port_len);
	aml_res_irq_noflags(a, (uint16_t)(1u << irq));
	aml_resource_end(a, res);
	aml_end(a, dev);
}

/* TCG ACPI Specification 1.2, 8.1: the TPM device object for CRB. */
static void dev_tpm(struct aml *a, const struct acpi_config *cfg)
{
	size_t dev = aml_device_begin(a, "TPM");
	size_t res, sta;

	aml_name(a, "_HID");
	aml_string(a, "MSFT0101");
	aml_name(a, "_STR");
	aml_unicode(a, "TPM 2.0 Device");
	aml_name(a, "_CRS");
	res = aml_resource_begin(a);
	aml_res_memory32_fixed(a, (uint32_t)cfg->tpm_crb_base,
			       cfg->tpm_crb_size, true);
	aml_resource_end(a, res);
	sta = aml_method_begin(a, "_STA", 0, false);
	aml_byte(a, AML_RETURN_OP);
	aml_integer(a, STA_PRESENT_ALL);
	aml_end(a, sta);
	aml_end(a, dev);
}

static void dsdt_body(struct aml *a, const struct acpi_config *cfg)
{
	size_t sb = aml_scope_begin(a, "\\_SB");
	size_t s5;

	dev_pci0(a, cfg);
	dev_motherboard(a, cfg);
	if (cfg->com1)
		dev_isa(a, "COM1", "PNP0501", PORT_COM1, COM1_PORT_LEN,
			IRQ_COM1);
	if (cfg->rtc)
		dev_isa(a, "RTC", "PNP0B00", PORT_RTC, RTC_PORT_LEN, IRQ_RTC);
	if (cfg->tpm)
		dev_tpm(a, cfg);
	aml_end(a, sb);

	/* 7.4.2 \_Sx: SLP_TYPa, SLP_TYPb, reserved, reserved. */
	aml_name(a, "_S5");
	s5 = aml_package_begin(a, 4);
	aml_integer(a, ACPI_SLP_TYP_S5);
	aml_integer(a, ACPI_SLP_TYP_S5);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_end(a, s5);
}

int acpi_build_dsdt(const struct acpi_config *cfg, void *buf, size_t cap)
{
	struct acpi_table_header *hdr = buf;
	size_t hlen = sizeof(*hdr);
	struct aml a;

	if (cap < hlen)
		return -ENOSPC;
	aml_init(&a, (uint8_t *)buf + hlen, cap - hlen);
	dsdt_body(&a, cfg);
	if (a.err)
		return a.err;
	if (hlen + a.len > INT32_MAX)
		return -ENOSPC;
	acpi_table_header_init(hdr, "DSDT", ACPI_DSDT_REVISION, "DS",
			       (uint32_t)(hlen + a.len));
	acpi_table_checksum(hdr);
	return (int)(hlen + a.len);
}
