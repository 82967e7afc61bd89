// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TPM's ACPI description as acpi_setup() writes it for a VM with a
 * vTPM: the TPM2 table (checksum, start method CRB, the control area the
 * CRB device implements, LAML/LASA on the event log area) and the DSDT's
 * MSFT0101 device, decoded by ACPICA's `iasl -d` without a warning; the
 * log area is e820-reserved and clear of the tables, as Linux requires.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/acpi/acpi.h"
#include "core/tpm/crb.h"
#include "core/vm/layout.h"
#include "core/vm/memory.h"
#include "core/tpm/vtpm.h"
#include "core/vm/device.h"
#include "core/vm/vm.h"

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* The table with signature SIG through the RSDP's XSDT. */
static const uint8_t *find_table(struct vm *vm, const char *sig)
{
	const uint8_t *rsdp = vm_guest_ptr(vm, vm->rsdp_gpa, 36);
	const uint8_t *xsdt = vm_guest_ptr(vm, rd64(rsdp + 24), 36);

	for (uint32_t i = 0; i < (rd32(xsdt + 4) - 36) / 8; i++) {
		const uint8_t *t = vm_guest_ptr(vm, rd64(xsdt + 36 + 8 * i), 36);

		if (!memcmp(t, sig, 4))
			return t;
	}
	if (!strcmp(sig, "DSDT")) {
		const uint8_t *fadt = find_table(vm, "FACP");

		return vm_guest_ptr(vm, rd64(fadt + 140), 36);
	}
	return NULL;
}

/* `iasl -d` of LEN bytes at TABLE: its output, after checking that iasl
 * reported no error or warning. */
static char *disassemble(const uint8_t *table, size_t len, const char *sig)
{
	char dir[] = "/tmp/partvm-test-tpm-acpi.XXXXXX", cmd[512], path[128], *text;
	FILE *f;
	long n;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s.dat", dir, sig);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(table, 1, len, f), len);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cd %s && iasl -d %s.dat >log 2>&1 && "
		 "! grep -i -E 'warning|error [^0]|[1-9][0-9]* error' log", dir, sig);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "cat %s/log >&2", dir);
		(void)!system(cmd);
		fail_msg("iasl -d %s reported problems", sig);
	}
	snprintf(path, sizeof(path), "%s/%s.dsl", dir, sig);
	f = fopen(path, "r");
	assert_non_null(f);
	text = calloc(1, 1 << 20);
	n = (long)fread(text, 1, (1 << 20) - 1, f);
	assert_true(n > 0);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return text;
}

/* A 2-vCPU VM on PLATFORM with the vTPM device's ACPI hook (its state
 * does not matter here), and its ACPI tables in guest RAM. */
static struct device tpm_device = { .type = &vtpm_device_type };
static struct device *tpm_devices[1] = { &tpm_device };

static void build_tables(struct vm *vm, enum layout_platform platform)
{
	memset(vm, 0, sizeof(*vm));
	vm->ncpus = 2;
	assert_int_equal(memory_map(&vm->mem, 64ULL << 20, MEMORY_BACKING_ANONYMOUS, platform), 0);
	tpm_device.vm = vm;
	vm->devices = tpm_devices;
	vm->ndevices = 1;
	assert_int_equal(acpi_setup(vm), 0);
}

static void test_tpm_tables(void **state)
{
	struct vm vm;
	const uint8_t *tpm2, *dsdt;
	uint8_t sum = 0;
	char *text, line[128];
	bool reserved = false;

	(void)state;
	build_tables(&vm, LAYOUT_DIRECT_BOOT);

	tpm2 = find_table(&vm, "TPM2");
	assert_non_null(tpm2);
	assert_int_equal(rd32(tpm2 + 4), 76);            /* revision 4 with LAML/LASA */
	for (uint32_t i = 0; i < rd32(tpm2 + 4); i++)
		sum += tpm2[i];
	assert_int_equal(sum, 0);
	/* The control area is where the CRB device has CTRL_REQ. */
	assert_true(rd64(tpm2 + 40) == LAYOUT_TPM_CRB_START + CRB_CTRL_REQ);
	assert_int_equal(rd32(tpm2 + 48), 7);            /* start method: CRB */
	assert_int_equal(rd32(tpm2 + 64), LAYOUT_TPM_LOG_SIZE);
	assert_true(rd64(tpm2 + 68) == LAYOUT_TPM_LOG_START);

	/* The log area is reserved in the e820 map and no table lies in it. */
	for (unsigned i = 0; i < vm.mem.layout.ne820; i++) {
		const struct e820_entry *e = &vm.mem.layout.e820[i];

		if (e->type == E820_RESERVED && e->addr <= LAYOUT_TPM_LOG_START &&
		    LAYOUT_TPM_LOG_START + LAYOUT_TPM_LOG_SIZE <= e->addr + e->size)
			reserved = true;
	}
	assert_true(reserved);
	assert_true(LAYOUT_ACPI_START + LAYOUT_ACPI_SIZE <= LAYOUT_TPM_LOG_START);
	assert_true((uint64_t)(tpm2 - (const uint8_t *)vm_guest_ptr(&vm, 0, 1)) + 76 <=
		    LAYOUT_ACPI_START + LAYOUT_ACPI_SIZE);

	text = disassemble(tpm2, rd32(tpm2 + 4), "TPM2");
	snprintf(line, sizeof(line), "Control Address : %016llX",
		 (unsigned long long)(LAYOUT_TPM_CRB_START + CRB_CTRL_REQ));
	assert_non_null(strstr(text, line));
	assert_non_null(strstr(text, "Start Method : 07 [Command Response Buffer]"));
	snprintf(line, sizeof(line), "Minimum Log Length : %08llX",
		 (unsigned long long)LAYOUT_TPM_LOG_SIZE);
	assert_non_null(strstr(text, line));
	snprintf(line, sizeof(line), "Log Address : %016llX",
		 (unsigned long long)LAYOUT_TPM_LOG_START);
	assert_non_null(strstr(text, line));
	free(text);

	dsdt = find_table(&vm, "DSDT");
	assert_non_null(dsdt);
	text = disassemble(dsdt, rd32(dsdt + 4), "DSDT");
	assert_non_null(strstr(text, "\"MSFT0101\""));
	snprintf(line, sizeof(line), "0x%08llX,         // Address Base",
		 (unsigned long long)LAYOUT_TPM_CRB_START);
	assert_non_null(strstr(text, line));
	snprintf(line, sizeof(line), "0x%08llX,         // Address Length",
		 (unsigned long long)LAYOUT_TPM_CRB_SIZE);
	assert_non_null(strstr(text, line));
	free(text);
	memory_unmap(&vm.mem);
}

/* Booting a firmware, which keeps its own log: the TPM2 table names no log
 * area (LAML and LASA zero, which Linux's tpm_read_log_acpi() takes as no
 * ACPI log, so it reads the firmware's from EFI). */
static void test_tpm2_without_log(void **state)
{
	struct vm vm;
	const uint8_t *tpm2;
	uint8_t sum = 0;
	char *text;

	(void)state;
	build_tables(&vm, LAYOUT_FIRMWARE);
	tpm2 = find_table(&vm, "TPM2");
	assert_non_null(tpm2);
	assert_int_equal(rd32(tpm2 + 4), 76);
	for (uint32_t i = 0; i < 76; i++)
		sum += tpm2[i];
	assert_int_equal(sum, 0);
	assert_int_equal(rd32(tpm2 + 48), 7);
	assert_int_equal(rd32(tpm2 + 64), 0);
	assert_true(rd64(tpm2 + 68) == 0);
	text = disassemble(tpm2, 76, "TPM2");
	assert_non_null(strstr(text, "Start Method : 07 [Command Response Buffer]"));
	assert_non_null(strstr(text, "Log Address : 0000000000000000"));
	free(text);
	memory_unmap(&vm.mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tpm_tables),
		cmocka_unit_test(test_tpm2_without_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
