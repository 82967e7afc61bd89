// SPDX-License-Identifier: GPL-2.0-only
/*
 * The generated tables as ACPICA sees them: every table is disassembled
 * with `iasl -d` (acpica-tools) and must decode without a single error or
 * warning, then the disassembly is compiled again with iasl, which must
 * report 0 errors and 0 warnings. Data tables must compile back to the same
 * bytes (apart from the checksum and compiler ID that iasl stamps), and the
 * DSDT's disassembly must show the devices and values configured.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/acpi/acpi.h"
#include "core/vm/layout.h"

#define LOG_NAME "iasl.log"

struct variant {
	const char *what;
	unsigned ncpus;
	uint32_t first_apic_id;
	uint32_t slots;
	uint8_t end_bus;
	bool com1, rtc, tpm, tpm_log, mmio64, pm_timer;
};

static const struct variant variants[] = {
	{ "plain, two slots", 4, 0, 1u << 3 | 1u << 4, 0,
	  true, true, false, false, true, true },
	{ "tpm, five slots, 8 buses, no COM1/timer", 2, 0,
	  1u << 0 | 1u << 1 | 1u << 2 | 1u << 5 | 1u << 31, 7,
	  false, true, true, true, false, false },
	{ "tpm without log, x2APIC IDs, no slots", 8, 250, 0, 0,
	  true, false, true, false, true, true },
};

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void config_for(const struct variant *v, uint32_t *ids,
		       struct acpi_config *c)
{
	for (unsigned i = 0; i < v->ncpus; i++)
		ids[i] = v->first_apic_id + i;
	*c = (struct acpi_config){
		.ncpus = v->ncpus,
		.apic_ids = ids,
		.lapic_addr = LAYOUT_LAPIC_START,
		.ioapic_addr = LAYOUT_IOAPIC_START,
		.ecam_base = LAYOUT_ECAM_START,
		.ecam_end_bus = v->end_bus,
		.mmio32_base = LAYOUT_MMIO32_START,
		.mmio32_size = LAYOUT_MMIO32_SIZE,
		.mmio64_base = v->mmio64 ? 64 * SZ_1G : 0,
		.mmio64_size = v->mmio64 ? LAYOUT_MMIO64_SIZE : 0,
		.pci_slot_mask = v->slots,
		.pm1a_evt_port = PORT_PM1A_EVT,
		.pm1a_cnt_port = PORT_PM1A_CNT,
		.pm_tmr_port = v->pm_timer ? PORT_PM_TMR : 0,
		.reset_port = PORT_RESET,
		.reset_value = 0x06,
		.sci_irq = IRQ_SCI,
		.com1 = v->com1,
		.rtc = v->rtc,
		.tpm = v->tpm,
		.tpm_crb_base = LAYOUT_TPM_CRB_START,
		.tpm_crb_size = LAYOUT_TPM_CRB_SIZE,
		.tpm_log_addr = v->tpm_log ? 0x9a000 : 0,
		.tpm_log_size = v->tpm_log ? 0x10000 : 0,
	};
	for (unsigned s = 0; s < 32; s++)
		for (unsigned p = 0; p < 4; p++)
			c->prt_gsi[s][p] = PCI_INTX_GSI_BASE +
					   (s + p) % PCI_INTX_GSI_COUNT;
}

static char *read_all(const char *dir, const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	char *buf = NULL;
	size_t cap = 0, n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? 2 * cap : 65536;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static void write_all(const char *dir, const char *name, const void *p,
		      size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Run iasl with ARGS in DIR, stdout and stderr into DIR/iasl.log. */
static int run_iasl(const char *dir, const char *a1, const char *a2,
		    const char *a3, const char *a4)
{
	const char *argv[] = { "iasl", a1, a2, a3, a4, NULL };
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd;

		if (chdir(dir) < 0)
			_exit(126);
		fd = open(LOG_NAME, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execvp("iasl", (char *const *)argv);
		dprintf(2, "cannot run iasl (package acpica-tools): %m\n");
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return true;
	return false;
}

static void fail_with(const char *sig, const char *step, const char *text)
{
	print_error("%s: %s; iasl said:\n%s\n", sig, step, text ? text : "");
	fail();
}

/* iasl -d SIG.dat: exit 0, decoded, and not one error or warning. */
static char *disassemble(const char *dir, const char *sig)
{
	char dat[16], dsl[16];
	char *log, *text;
	int rc;

	snprintf(dat, sizeof(dat), "%s.dat", sig);
	snprintf(dsl, sizeof(dsl), "%s.dsl", sig);
	rc = run_iasl(dir, "-d", dat, NULL, NULL);
	log = read_all(dir, LOG_NAME, NULL);
	if (rc != 0)
		fail_with(sig, "iasl -d failed", log);
	if (!strstr(log, "decoded") && !strstr(log, "Disassembly completed"))
		fail_with(sig, "iasl -d did not decode the table", log);
	if (contains_ci(log, "error") || contains_ci(log, "warning"))
		fail_with(sig, "iasl -d reported a problem", log);
	text = read_all(dir, dsl, NULL);
	if (!text)
		fail_with(sig, "iasl -d wrote no .dsl", log);
	/* ACPICA flags bad data inline ("**** ...", "Incorrect checksum"). */
	if (strstr(text, "****") || contains_ci(text, "incorrect") ||
	    contains_ci(text, "invalid") || contains_ci(text, "unknown"))
		fail_with(sig, "the disassembly flags a problem", text);
	free(log);
	return text;
}

/* iasl -p re_SIG SIG.dsl: "Compilation successful. 0 Errors, 0 Warnings". */
static void recompile(const char *dir, const char *sig)
{
	char dsl[16], prefix[16];
	int errors = -1, warnings = -1, remarks = -1;
	const char *summary;
	char *log;
	int rc;

	snprintf(dsl, sizeof(dsl), "%s.dsl", sig);
	snprintf(prefix, sizeof(prefix), "re_%s", sig);
	rc = run_iasl(dir, "-p", prefix, dsl, NULL);
	log = read_all(dir, LOG_NAME, NULL);
	summary = log ? strstr(log, "Compilation successful.") : NULL;
	if (summary)
		sscanf(summary, "Compilation successful. %d Errors, %d Warnings, %d Remarks",
		       &errors, &warnings, &remarks);
	if (rc != 0 || errors != 0 || warnings != 0)
		fail_with(sig, "recompiling the disassembly was not clean", log);
	print_message("  %s: disassembled and recompiled, 0 errors, 0 warnings, %d remarks\n",
		      sig, remarks);
	free(log);
}

/*
 * The data table compiler must reproduce our bytes; iasl stamps its own
 * checksum (offset 9) and compiler ID/revision (28-35), nothing else.
 */
static void compare_roundtrip(const char *dir, const char *sig,
			      const uint8_t *orig, size_t len, bool header)
{
	char name[24];
	size_t n;
	uint8_t *re;

	snprintf(name, sizeof(name), "re_%s.aml", sig);
	re = (uint8_t *)read_all(dir, name, &n);
	assert_non_null(re);
	assert_int_equal(n, len);
	for (size_t i = 0; i < len; i++) {
		if (header && (i == 9 || (i >= 28 && i < 36)))
			continue;
		if (re[i] != orig[i]) {
			print_error("%s: byte %zu is 0x%02x after iasl, 0x%02x in ours\n",
				    sig, i, re[i], orig[i]);
			fail();
		}
	}
	free(re);
}

/* Strip comments and whitespace, so ASL can be matched as one string. */
static char *normalize(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	assert_non_null(out);
	while (*s) {
		if (s[0] == '/' && s[1] == '*') {
			const char *e = strstr(s + 2, "*/");
			s = e ? e + 2 : s + strlen(s);
		} else if (s[0] == '/' && s[1] == '/') {
			s += strcspn(s, "\n");
		} else if (isspace((unsigned char)*s)) {
			s++;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

static void expect_asl(const char *asl, bool present, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void expect_asl(const char *asl, bool present, const char *fmt, ...)
{
	char want[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	if (!!strstr(asl, want) != present) {
		print_error("DSDT disassembly %s \"%s\"\n",
			    present ? "lacks" : "should not have", want);
		fail();
	}
}

/* How iasl prints an AML integer: Zero, One, or 0x with the encoded width. */
static const char *asl_int(uint64_t v, char *buf, size_t len)
{
	if (v <= 1)
		return v ? "One" : "Zero";
	if (v <= 0xff)
		snprintf(buf, len, "0x%02X", (unsigned)v);
	else if (v <= 0xffff)
		snprintf(buf, len, "0x%04X", (unsigned)v);
	else
		snprintf(buf, len, "0x%08X", (unsigned)v);
	return buf;
}

static void check_dsdt(const char *text, const struct acpi_config *c)
{
	char *asl = normalize(text);
	char a[16], b[16], g[16];
	unsigned ndev = 0;

	expect_asl(asl, true, "Scope(\\_SB){Device(PCI0){Name(_HID,EisaId(\"PNP0A08\"))"
		   "Name(_CID,EisaId(\"PNP0A03\"))Name(_SEG,Zero)Name(_BBN,Zero)"
		   "Name(_UID,Zero)");
	expect_asl(asl, true, "WordBusNumber(ResourceProducer,MinFixed,MaxFixed,"
		   "PosDecode,0x0000,0x0000,0x%04X,0x0000,0x%04X,,,)",
		   c->ecam_end_bus, c->ecam_end_bus + 1);
	expect_asl(asl, true, "IO(Decode16,0x0CF8,0x0CF8,0x01,0x08,)");
	expect_asl(asl, true, "0x0000,0x0000,0x0CF7,0x0000,0x0CF8,,,,TypeStatic");
	expect_asl(asl, true, "0x0000,0x0D00,0xFFFF,0x0000,0xF300,,,,TypeStatic");
	expect_asl(asl, true, "DWordMemory(ResourceProducer,PosDecode,MinFixed,"
		   "MaxFixed,NonCacheable,ReadWrite,0x00000000,0x%08llX,0x%08llX,"
		   "0x00000000,0x%08llX,",
		   (unsigned long long)c->mmio32_base,
		   (unsigned long long)(c->mmio32_base + c->mmio32_size - 1),
		   (unsigned long long)c->mmio32_size);
	if (c->mmio64_size)
		expect_asl(asl, true, "QWordMemory(ResourceProducer,PosDecode,"
			   "MinFixed,MaxFixed,Cacheable,ReadWrite,"
			   "0x0000000000000000,0x%016llX,0x%016llX,",
			   (unsigned long long)c->mmio64_base,
			   (unsigned long long)(c->mmio64_base +
						c->mmio64_size - 1));
	else
		expect_asl(asl, false, "QWordMemory");

	expect_asl(asl, true, "Name(_PRT,Package(0x80){");
	for (unsigned s = 0; s < 32; s++)
		for (unsigned p = 0; p < 4; p++)
			expect_asl(asl, true, "{%s,%s,Zero,%s}",
				   asl_int((uint64_t)s << 16 | 0xffff, a, sizeof(a)),
				   asl_int(p, b, sizeof(b)),
				   asl_int(c->prt_gsi[s][p], g, sizeof(g)));

	expect_asl(asl, true, "Method(_OSC,4,Serialized){CreateDWordField(Arg3,"
		   "Zero,CDW1)If((Arg0==ToUUID(\"33db4d5b-1ff7-401c-9657-"
		   "7441c03dd766\"))){If((Arg1!=One)){CDW1|=0x08}}Else{"
		   "CDW1|=0x04}Return(Arg3)}");

	for (unsigned s = 0; s < 32; s++) {
		bool present = c->pci_slot_mask & (1u << s);

		expect_asl(asl, present, "Device(S%02X){Name(_ADR,%s)}", s,
			   asl_int((uint64_t)s << 16, a, sizeof(a)));
		ndev += present;
	}
	for (const char *p = asl; (p = strstr(p, "Device(S")); p++)
		ndev--;
	assert_int_equal(ndev, 0);

	expect_asl(asl, true, "Device(MBRD){Name(_HID,EisaId(\"PNP0C02\"))"
		   "Name(_UID,Zero)Name(_CRS,ResourceTemplate(){Memory32Fixed("
		   "ReadWrite,0x%08llX,0x%08X,)})}",
		   (unsigned long long)c->ecam_base,
		   (c->ecam_end_bus + 1) << 20);
	expect_asl(asl, c->com1, "Device(COM1){Name(_HID,EisaId(\"PNP0501\"))"
		   "Name(_UID,One)Name(_CRS,ResourceTemplate(){IO(Decode16,"
		   "0x03F8,0x03F8,0x01,0x08,)IRQNoFlags(){4}})}");
	expect_asl(asl, c->rtc, "Device(RTC){Name(_HID,EisaId(\"PNP0B00\"))"
		   "Name(_UID,One)Name(_CRS,ResourceTemplate(){IO(Decode16,"
		   "0x0070,0x0070,0x01,0x02,)IRQNoFlags(){8}})}");
	expect_asl(asl, c->tpm, "Device(TPM){Name(_HID,\"MSFT0101\")"
		   "Name(_STR,Unicode(\"TPM2.0Device\"))Name(_CRS,"
		   "ResourceTemplate(){Memory32Fixed(ReadWrite,0x%08llX,0x%08X,)})"
		   "Method(_STA,0,NotSerialized){Return(0x0F)}}",
		   (unsigned long long)c->tpm_crb_base, c->tpm_crb_size);
	expect_asl(asl, true, "Name(_S5,Package(0x04){0x%02X,0x%02X,Zero,Zero})",
		   ACPI_SLP_TYP_S5, ACPI_SLP_TYP_S5);
	free(asl);
}

static unsigned count(const char *text, const char *s)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, s)); p += strlen(s))
		n++;
	return n;
}

/* Disassemble, recompile and (for data tables) compare one table. */
static char *check_table(const char *dir, const char *sig, const uint8_t *t,
			 size_t len, bool header)
{
	char name[16];
	char *text;

	snprintf(name, sizeof(name), "%s.dat", sig);
	write_all(dir, name, t, len);
	text = disassemble(dir, sig);
	recompile(dir, sig);
	if (strcmp(sig, "DSDT"))
		compare_roundtrip(dir, sig, t, len, header);
	return text;
}

static void check_variant(const struct variant *v, const char *dir)
{
	static uint8_t buf[LAYOUT_ACPI_SIZE];
	uint32_t ids[16];
	struct acpi_config cfg;
	struct acpi_tables out;
	const uint8_t *xsdt, *fadt = NULL, *dsdt;
	unsigned n;
	char *text;

	print_message("%s\n", v->what);
	config_for(v, ids, &cfg);
	assert_int_equal(acpi_build_tables(&cfg, buf, sizeof(buf),
					   LAYOUT_ACPI_START, &out), 0);

	xsdt = buf + (rd64(buf + 24) - LAYOUT_ACPI_START);
	free(check_table(dir, "XSDT", xsdt, rd32(xsdt + 4), true));
	n = (rd32(xsdt + 4) - 36) / 8;
	assert_int_equal(n, v->tpm ? 4 : 3);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *t = buf + (rd64(xsdt + 36 + 8 * i) -
					  LAYOUT_ACPI_START);
		char sig[5] = { 0 };

		memcpy(sig, t, 4);
		text = check_table(dir, sig, t, rd32(t + 4), true);
		if (!strcmp(sig, "FACP"))
			fadt = t;
		if (!strcmp(sig, "APIC")) {
			unsigned x2 = 0;

			for (unsigned c = 0; c < v->ncpus; c++)
				x2 += ids[c] >= 255;
			assert_int_equal(count(text, "[Processor Local APIC]"),
					 v->ncpus - x2);
			assert_int_equal(count(text, "[Processor Local x2APIC]"),
					 x2);
		}
		free(text);
	}
	assert_non_null(fadt);
	free(check_table(dir, "FACS",
			 buf + (rd32(fadt + 36) - LAYOUT_ACPI_START), 64,
			 false));
	dsdt = buf + (rd64(fadt + 140) - LAYOUT_ACPI_START);
	text = check_table(dir, "DSDT", dsdt, rd32(dsdt + 4), true);
	check_dsdt(text, &cfg);
	free(text);
}

struct fixture {
	const struct variant *v;
	char dir[32];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->v = *state;
	strcpy(f->dir, "/tmp/partvm-acpi-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

/* Remove the temporary directory and the files iasl left in it. */
static int teardown(void **state)
{
	struct fixture *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *e;
	int r = 0;

	if (d) {
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	if (rmdir(f->dir) < 0)
		r = -1;
	free(f);
	return r;
}

static void test_iasl(void **state)
{
	struct fixture *f = *state;

	check_variant(f->v, f->dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate_setup_teardown(test_iasl, setup,
			teardown, (void *)&variants[0]),
		cmocka_unit_test_prestate_setup_teardown(test_iasl, setup,
			teardown, (void *)&variants[1]),
		cmocka_unit_test_prestate_setup_teardown(test_iasl, setup,
			teardown, (void *)&variants[2]),
	};

	return cmocka_run_group_tests_name("acpi_iasl", tests, NULL, NULL);
}
