// SPDX-License-Identifier: GPL-2.0-only
/*
 * `partvm host check`: everything passthrough needs from the host, each
 * check one verdict with what was seen and how to fix it. Read-only: it
 * loads no module and opens /dev/kvm only to ask its API version.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <pci/pci.h>

#include "core/kvm/kvm.h"
#include "core/util/cleanup.h"
#include "core/util/dir.h"
#include "core/util/sysfs.h"
#include "iommu/internal.h"

/* AMD's GPU vendor ID (Linux include/linux/pci_ids.h); libpci has none. */
#define PCI_VENDOR_ID_ATI 0x1002

static void set(struct iommu_check *c, const char *name, enum iommu_check_status st, const char *hint,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void set(struct iommu_check *c, const char *name, enum iommu_check_status st, const char *hint,
		const char *fmt, ...)
{
	va_list ap;

	c->name = name;
	c->status = st;
	snprintf(c->hint, sizeof(c->hint), "%s", st == IOMMU_CHECK_PASS ? "" : hint);
	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
}

const char *iommu_check_status_name(enum iommu_check_status s)
{
	return s == IOMMU_CHECK_PASS ? "PASS" : s == IOMMU_CHECK_WARN ? "WARN" : "FAIL";
}

/* Does whitespace-separated LIST contain WORD? */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *s = strstr(list, word); s; s = strstr(s + 1, word))
		if ((s == list || s[-1] == ' ' || s[-1] == '\t') && (s[n] == '\0' || s[n] == ' ' || s[n] == '\n'))
			return true;
	return false;
}

/* The value of kernel parameter KEY= on the command line, "" if absent. */
static void cmdline_value(const char *cmdline, const char *key, char *out, size_t len)
{
	size_t n = strlen(key);

	out[0] = '\0';
	for (const char *s = strstr(cmdline, key); s; s = strstr(s + 1, key))
		if ((s == cmdline || s[-1] == ' ') && s[n] == '=') {
			size_t w = strcspn(s + n + 1, " \n");
			snprintf(out, len, "%.*s", (int)(w < len ? w : len - 1), s + n + 1);
		}
}

/* A whole file below ROOT, malloc'ed and NUL-terminated; "" when missing
 * or unreadable, NULL only when out of memory. */
static char *slurp_all(const char *root, const char *rel)
{
	char p[PATH_MAX];
	_cleanup_fclose_ FILE *f = NULL;
	size_t n = 0, cap = 4096;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	buf[0] = '\0';
	if (iommu_path(p, sizeof(p), root, "%s", rel) < 0 || !(f = fopen(p, "re")))
		return buf;
	for (;;) {
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (n < cap - 1)
			break;
		char *nb = realloc(buf, cap * 2);
		if (!nb) {
			free(buf);
			return NULL;
		}
		buf = nb;
		cap *= 2;
	}
	buf[n] = '\0';
	return buf;
}

/* Read a small file below ROOT into BUF; "" when missing. */
static void slurp(const char *root, const char *rel, char *buf, size_t len)
{
	char p[PATH_MAX];
	_cleanup_fclose_ FILE *f = NULL;
	size_t n = 0;

	buf[0] = '\0';
	if (iommu_path(p, sizeof(p), root, "%s", rel) < 0 || !(f = fopen(p, "re")))
		return;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
}

static void check_kvm(const struct iommu_host *h, struct iommu_check *c)
{
	_cleanup_free_ char *cpuinfo = slurp_all(h->root, "/proc/cpuinfo");
	char p[PATH_MAX], flags[8] = "";
	_cleanup_close_ int fd = -1;
	const char *line;

	line = cpuinfo ? strstr(cpuinfo, "\nflags") : NULL;
	if (line) {
		char first[4096];
		snprintf(first, sizeof(first), "%.*s", (int)strcspn(line + 1, "\n"), line + 1);
		if (has_word(first, "vmx"))
			strcpy(flags, "vmx");
		else if (has_word(first, "svm"))
			strcpy(flags, "svm");
	}
	if (iommu_path(p, sizeof(p), h->root, "/dev/kvm") < 0)
		p[0] = '\0';
	fd = open(p, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (!flags[0])
			set(c, "kvm", IOMMU_CHECK_FAIL,
			    "enable VT-x/AMD-V in the firmware setup (or nested virtualization on a VM host)",
			    "no /dev/kvm (%s) and the CPU shows neither vmx nor svm", strerror(e));
		else
			set(c, "kvm", IOMMU_CHECK_FAIL, "modprobe kvm_intel or kvm_amd; check dmesg for why KVM is off",
			    "no usable /dev/kvm: %s (CPU has %s)", strerror(e), flags);
		return;
	}
	int v = kvm_probe_api_version(p);
	if (v != kvm_api_version()) {
		set(c, "kvm", IOMMU_CHECK_FAIL, "check dmesg for KVM errors",
		    "/dev/kvm does not answer KVM_GET_API_VERSION (%s)", v < 0 ? strerror(-v) : "wrong version");
		return;
	}
	if (!flags[0]) {
		set(c, "kvm", IOMMU_CHECK_WARN, "enable VT-x/AMD-V in the firmware setup",
		    "/dev/kvm is usable (API %d) but the CPU shows neither vmx nor svm", v);
		return;
	}
	set(c, "kvm", IOMMU_CHECK_PASS, "", "/dev/kvm is usable (API %d), CPU has %s", v, flags);
}

static int count_dir(const char *root, const char *rel)
{
	char p[PATH_MAX];

	if (iommu_path(p, sizeof(p), root, "%s", rel) < 0)
		return 0;
	return (int)dir_count(p);
}

static void check_iommu(const struct iommu_host *h, const char *cmdline, struct iommu_check *c)
{
	bool dmar = iommu_exists(h->root, "/sys/firmware/acpi/tables/DMAR");
	bool ivrs = iommu_exists(h->root, "/sys/firmware/acpi/tables/IVRS");
	int groups = count_dir(h->root, "/sys/kernel/iommu_groups");
	int units = count_dir(h->root, "/sys/class/iommu");
	char intel[32], amd[32], iommu[32], state[160];

	cmdline_value(cmdline, "intel_iommu", intel, sizeof(intel));
	cmdline_value(cmdline, "amd_iommu", amd, sizeof(amd));
	cmdline_value(cmdline, "iommu", iommu, sizeof(iommu));
	snprintf(state, sizeof(state), "cmdline: intel_iommu=%s amd_iommu=%s iommu=%s", intel[0] ? intel : "(unset)",
		 amd[0] ? amd : "(unset)", iommu[0] ? iommu : "(unset)");

	if (groups > 0) {
		set(c, "iommu", IOMMU_CHECK_PASS, "", "IOMMU enabled: %s%s%s, %d IOMMU unit(s), %d groups; %s%s",
		    dmar ? "ACPI DMAR (Intel VT-d)" : "", dmar && ivrs ? " and " : "",
		    ivrs ? "ACPI IVRS (AMD-Vi)" : !dmar ? "no DMAR/IVRS table (another IOMMU)" : "", units, groups,
		    state, strcmp(iommu, "pt") ? "" : " (pass-through for host devices)");
		return;
	}
	if (!dmar && !ivrs) {
		set(c, "iommu", IOMMU_CHECK_FAIL,
		    "enable VT-d (Intel) or AMD-Vi/IOMMU (AMD) in the firmware setup; a machine without one cannot "
		    "pass devices through",
		    "no IOMMU: no ACPI DMAR (Intel VT-d) or IVRS (AMD-Vi) table and no IOMMU groups; %s", state);
		return;
	}
	set(c, "iommu", IOMMU_CHECK_FAIL,
	    dmar ? "boot with intel_iommu=on (add iommu=pt to keep host devices fast)"
		 : "boot without amd_iommu=off (add iommu=pt to keep host devices fast)",
	    "the firmware has an IOMMU (%s) but the kernel did not enable it: no IOMMU groups; %s",
	    dmar ? "ACPI DMAR, Intel VT-d" : "ACPI IVRS, AMD-Vi", state);
}

static void check_intremap(const struct iommu_host *h, struct iommu_check *c)
{
	_cleanup_free_ char *irqs = slurp_all(h->root, "/proc/interrupts");
	char unsafe[8] = "";

	/* With remapping on, MSI and IO-APIC interrupt chips are the
	 * remapping ones: "IR-PCI-MSI", "IR-IO-APIC" in /proc/interrupts. */
	if (!irqs)
		irqs = strdup("");
	sysfs_read(h->root, "/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts", unsafe,
		   sizeof(unsafe));
	if (irqs && (strstr(irqs, "IR-PCI-MSI") || strstr(irqs, "IR-IO-APIC"))) {
		set(c, "intremap", IOMMU_CHECK_PASS, "", "interrupt remapping is on (IR- interrupt chips in /proc/interrupts)");
		return;
	}
	if (unsafe[0] == 'Y' || unsafe[0] == '1') {
		set(c, "intremap", IOMMU_CHECK_WARN,
		    "enable interrupt remapping (x2APIC/IR in the firmware, no intremap=off) to isolate MSIs",
		    "no interrupt remapping; vfio_iommu_type1 allow_unsafe_interrupts=Y lets devices through anyway, "
		    "and a guest can then forge interrupts");
		return;
	}
	set(c, "intremap", IOMMU_CHECK_FAIL,
	    "enable interrupt remapping (IOMMU on, x2APIC/IR in the firmware, no intremap=off), or accept the risk "
	    "with vfio_iommu_type1.allow_unsafe_interrupts=1",
	    "no interrupt remapping (no IR- interrupt chips in /proc/interrupts) and allow_unsafe_interrupts is %s: "
	    "vfio will refuse to assign devices", unsafe[0] ? unsafe : "unset (module not loaded)");
}

/* Is module NAME (as in modules.dep, dashes or underscores) loadable? */
static bool module_available(const struct iommu_host *h, const char *release, const char *name)
{
	char rel[PATH_MAX], alt[64], ko[80];

	snprintf(alt, sizeof(alt), "%s", name);
	for (char *s = alt; *s; s++)
		if (*s == '_')
			*s = '-';
	for (int i = 0; i < 2; i++) {
		const char *file = i ? "modules.builtin" : "modules.dep";
		snprintf(rel, sizeof(rel), "/lib/modules/%s/%s", release, file);
		_cleanup_free_ char *dep = slurp_all(h->root, rel);
		if (!dep)
			return false;
		snprintf(ko, sizeof(ko), "/%s.ko", name);
		if (strstr(dep, ko))
			return true;
		snprintf(ko, sizeof(ko), "/%s.ko", alt);
		if (strstr(dep, ko))
			return true;
	}
	return false;
}

static void check_vfio(const struct iommu_host *h, struct iommu_check *c)
{
	static const char *const mods[] = { "vfio_pci", "vfio_iommu_type1" };
	char release[128] = "", loaded[64] = "", loadable[64] = "", missing[64] = "";

	sysfs_read(h->root, "/proc/sys/kernel/osrelease", release, sizeof(release));
	for (size_t i = 0; i < ARRAY_SIZE(mods); i++) {
		char rel[128];
		char *list;
		snprintf(rel, sizeof(rel), "/sys/module/%s", mods[i]);
		list = iommu_exists(h->root, "%s", rel) ? loaded
		       : module_available(h, release, mods[i]) ? loadable : missing;
		size_t used = strlen(list);
		snprintf(list + used, 64 - used, "%s%s", used ? " " : "", mods[i]);
	}
	if (missing[0])
		set(c, "vfio", IOMMU_CHECK_FAIL, "install a kernel built with CONFIG_VFIO_PCI and CONFIG_VFIO_IOMMU_TYPE1",
		    "not available for kernel %s: %s%s%s", release, missing, loaded[0] ? "; loaded: " : "", loaded);
	else if (loadable[0])
		set(c, "vfio", IOMMU_CHECK_WARN, "modprobe vfio-pci (partvm vfio bind needs it loaded)",
		    "available but not loaded: %s%s%s", loadable, loaded[0] ? "; loaded: " : "", loaded);
	else
		set(c, "vfio", IOMMU_CHECK_PASS, "", "loaded: %s", loaded);
}

static void check_hugepages(const struct iommu_host *h, struct iommu_check *c)
{
	char meminfo[8192];
	unsigned long total = 0, free_pages = 0, size_kb = 0;
	const char *s;

	slurp(h->root, "/proc/meminfo", meminfo, sizeof(meminfo));
	if ((s = strstr(meminfo, "HugePages_Total:")))
		sscanf(s, "HugePages_Total: %lu", &total);
	if ((s = strstr(meminfo, "HugePages_Free:")))
		sscanf(s, "HugePages_Free: %lu", &free_pages);
	if ((s = strstr(meminfo, "Hugepagesize:")))
		sscanf(s, "Hugepagesize: %lu", &size_kb);
	if (total == 0)
		set(c, "hugepages", IOMMU_CHECK_WARN,
		    "reserve some: echo N > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages (or hugepages= at boot)",
		    "no hugepages reserved (default size %lu kB): guest memory will use 4 KiB pages, slower DMA mapping "
		    "and more TLB misses", size_kb);
	else
		set(c, "hugepages", IOMMU_CHECK_PASS, "", "%lu hugepages of %lu kB reserved, %lu free", total, size_kb,
		    free_pages);
}

static void check_groups(const struct iommu_host *h, const char *cmdline, const struct iommu_device *devs, int n,
			 struct iommu_check *c)
{
	char acs[64], shared[512] = "";
	int nshared = 0, ngroups = 0;

	cmdline_value(cmdline, "pcie_acs_override", acs, sizeof(acs));
	for (int i = 0; i < n; i++) {
		if (devs[i].group < 0)
			continue;
		ngroups = devs[i].group + 1 > ngroups ? devs[i].group + 1 : ngroups;
		if (!devs[i].in_use)
			continue;
		/* Every other endpoint of a critical device's group can only be
		 * passed through by taking the host's device too. */
		for (int k = 0; k < n; k++) {
			if (k == i || devs[k].group != devs[i].group || devs[k].bridge || devs[k].host_bridge)
				continue;
			size_t used = strlen(shared);
			snprintf(shared + used, sizeof(shared) - used, "%s%s shares group %d with %s (%s)",
				 nshared++ ? "; " : "", devs[k].bdf, devs[i].group, devs[i].bdf, devs[i].in_use_reason);
		}
	}
	if (ngroups == 0) {
		set(c, "groups", IOMMU_CHECK_FAIL, "turn the IOMMU on first (see the iommu check)",
		    "no device has an IOMMU group, so none can be passed through");
		return;
	}
	if (acs[0]) {
		set(c, "groups", IOMMU_CHECK_WARN, "remove pcie_acs_override and pass whole groups instead",
		    "pcie_acs_override=%s splits groups in software: devices in different groups can still reach "
		    "each other, isolation is not real%s%s", acs, nshared ? "; also " : "", shared);
		return;
	}
	if (nshared) {
		set(c, "groups", IOMMU_CHECK_WARN,
		    "move the device to a slot with its own group, or pass it with --group only if the host can lose the rest",
		    "%s", shared);
		return;
	}
	set(c, "groups", IOMMU_CHECK_PASS, "", "no device shares an IOMMU group with a device the host uses");
}

/* FLR (PCIe DevCap, or "flr" in sysfs reset_method) or a secondary bus
 * reset: what vfio-pci needs to hand a device over clean. */
static bool can_reset(const struct iommu_device *d)
{
	return d->flr || has_word(d->reset_methods, "flr") || has_word(d->reset_methods, "bus");
}

static void check_resets(const struct iommu_device *devs, int n, struct iommu_check *c)
{
	char list[640] = "";
	int checked = 0, bad = 0, amd_gpu = 0;

	for (int i = 0; i < n; i++) {
		const struct iommu_device *d = &devs[i];
		if (d->bridge || d->host_bridge || d->group < 0)
			continue;
		checked++;
		if (can_reset(d))
			continue;
		char lbl[2 * IOMMU_NAME_LEN];
		size_t used = strlen(list);
		iommu_device_label(d, lbl, sizeof(lbl));
		snprintf(list + used, sizeof(list) - used, "%s%s %s", bad++ ? ", " : "", d->bdf, lbl);
		/* AMD GPUs are the known case: no FLR, and a bus reset that
		 * leaves them hung until the host reboots. */
		if (d->vendor_id == PCI_VENDOR_ID_ATI && (d->class_code >> 16) == PCI_BASE_CLASS_DISPLAY)
			amd_gpu++;
	}
	/* Nothing to pass through is not "every device resets". */
	if (!checked) {
		set(c, "resets", IOMMU_CHECK_WARN, "turn the IOMMU on first (see the iommu check)",
		    "no device has an IOMMU group, so no reset could be checked");
		return;
	}
	if (!bad) {
		set(c, "resets", IOMMU_CHECK_PASS, "", "all %d endpoint(s) with an IOMMU group have FLR or a bus reset",
		    checked);
		return;
	}
	set(c, "resets", IOMMU_CHECK_WARN,
	    amd_gpu ? "for AMD GPUs use the vendor-reset module; otherwise do not reuse such a device without a host reboot"
		    : "a device without reset keeps state between partitions; reboot the host between users if that matters",
	    "no FLR or bus reset (reset_method): %s%s", list,
	    amd_gpu ? " (AMD GPUs: the known reset bug)" : "");
}

/* Append to BUF (NUL-terminated, LEN bytes) only when the whole piece fits
 * with KEEP bytes still free for what must follow; otherwise BUF is left as
 * it was and the answer is false, so lists are cut between their items. */
static bool append(char *buf, size_t len, size_t keep, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static bool append(char *buf, size_t len, size_t keep, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;
	int w;

	if (used + keep >= len)
		return false;
	va_start(ap, fmt);
	w = vsnprintf(buf + used, len - used - keep, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= len - used - keep) {
		buf[used] = '\0';
		return false;
	}
	return true;
}

/* Same domain:bus:device: the functions of one card (a GPU's HDMI audio
 * at .1) go to the guest together anyway. */
static bool same_slot(const char *a, const char *b)
{
	size_t n = strcspn(a, ".");

	return n == strcspn(b, ".") && !strncmp(a, b, n);
}

/* The fixes the gpu hint needs, gathered over every display controller. */
struct gpu_fixes {
	bool no_group, shared, no_reset, amd, driver, boot, identity, cut;
	char ids[96];  /* VVVV:DDDD,... for vfio-pci.ids= */
	char bdfs[96]; /* for partvm vfio bind */
};

/* A held card moves to vfio-pci with the other functions of its slot in
 * its group (the HDMI audio), or the group is not viable. */
static void gpu_add_bind(struct gpu_fixes *fx, const struct iommu_device *devs, int n, int i)
{
	const struct iommu_device *d = &devs[i];

	for (int k = 0; k < n; k++) {
		const struct iommu_device *o = &devs[k];
		char id[16];
		if (k != i && (d->group < 0 || o->group != d->group || o->bridge || !same_slot(o->bdf, d->bdf)))
			continue;
		snprintf(id, sizeof(id), "%04x:%04x", o->vendor_id, o->device_id);
		if (!strstr(fx->ids, id) && !append(fx->ids, sizeof(fx->ids), 0, "%s%s", fx->ids[0] ? "," : "", id))
			fx->cut = true;
		if (!strstr(fx->bdfs, o->bdf) &&
		    !append(fx->bdfs, sizeof(fx->bdfs), 0, "%s%s", fx->bdfs[0] ? " " : "", o->bdf))
			fx->cut = true;
	}
}

/* Display controller devs[I]: its findings into OUT ("" when it is ready
 * for passthrough, cut with " ..." when they do not fit), what was seen
 * into SEEN. */
static void gpu_inspect(const struct iommu_host *h, const struct iommu_device *devs, int n, int i,
			struct gpu_fixes *fx, char *out, size_t len, char *seen, size_t seen_len)
{
	const struct iommu_device *d = &devs[i];
	char others[256] = "", more[32] = "", slot[128] = "", rel[PATH_MAX], type[32] = "", vga[8] = "";
	bool flr = d->flr || has_word(d->reset_methods, "flr"), amd = d->vendor_id == PCI_VENDOR_ID_ATI;
	bool held = !iommu_driver_is_vfio_safe(d->driver), boot, ok = true;
	int nothers = 0, unsaid = 0;
	const size_t keep = sizeof(" ...");

	out[0] = seen[0] = '\0';
	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/boot_vga", d->bdf);
	boot = sysfs_read(h->root, rel, vga, sizeof(vga)) > 0 && !strcmp(vga, "1");
	/* The group's default domain: "DMA", "DMA-FQ", "identity", "blocked"
	 * or "unmanaged" (Documentation/ABI/testing/sysfs-kernel-iommu_groups). */
	snprintf(rel, sizeof(rel), "/sys/kernel/iommu_groups/%d/type", d->group);
	if (d->group < 0 || sysfs_read(h->root, rel, type, sizeof(type)) <= 0)
		type[0] = '\0';
	for (int k = 0; k < n && d->group >= 0; k++) {
		const struct iommu_device *o = &devs[k];
		if (k == i || o->group != d->group || o->bridge || o->host_bridge)
			continue;
		if (same_slot(o->bdf, d->bdf))
			append(slot, sizeof(slot), 0, "%s%s", slot[0] ? ", " : "", o->bdf);
		else if (unsaid || !append(others, sizeof(others), 0, "%s%s (%s)", nothers ? ", " : "", o->bdf,
					   o->driver[0] ? o->driver : "no driver"))
			unsaid++;
		else
			nothers++;
	}
	if (unsaid)
		snprintf(more, sizeof(more), " and %d more", unsaid);

	if (d->group < 0) {
		fx->no_group = true;
		ok = append(out, len, keep, "no IOMMU group, so it cannot be passed through");
	}
	if (ok && (nothers || unsaid)) {
		fx->shared = true;
		ok = append(out, len, keep, "%sshares IOMMU group %d with %s%s: they can only go to a guest together",
			    out[0] ? "; " : "", d->group, others, more);
	}
	if (ok && !can_reset(d)) {
		fx->no_reset = true;
		fx->amd |= amd;
		ok = append(out, len, keep, "%sno FLR or bus reset (%s%s%s)", out[0] ? "; " : "",
			    d->reset_methods[0] ? "reset_method: " : "no reset_method", d->reset_methods,
			    amd ? "; AMD GPUs: the known reset bug" : "");
	}
	if (ok && held) {
		fx->driver = true;
		gpu_add_bind(fx, devs, n, i);
		ok = append(out, len, keep, "%shost driver %s holds it", out[0] ? "; " : "", d->driver);
	}
	if (ok && boot) {
		fx->boot = true;
		ok = append(out, len, keep, "%s the boot display (boot_vga=1): the host's firmware console/efifb uses it",
			    held ? ", and it is" : out[0] ? "; it is" : "it is");
	}
	if (ok && !strcmp(type, "identity")) {
		fx->identity = true;
		ok = append(out, len, keep, "%sIOMMU group %d is identity (iommu=pt): host DMA is untranslated, not "
			    "confined by the IOMMU (passthrough still works: vfio gives the group its own domain)",
			    out[0] ? "; " : "", d->group);
	}
	if (!ok)
		strcat(out, " ...");
	if (!out[0])
		snprintf(seen, seen_len, "own IOMMU group %d%s%s%s, %s, %s%s", d->group, slot[0] ? " (with " : "",
			 slot, slot[0] ? " of its slot)" : "", flr ? "FLR" : "bus reset", d->driver[0] ? "on " : "",
			 d->driver[0] ? d->driver : "no driver");
}

static void check_gpu(const struct iommu_host *h, const struct iommu_device *devs, int n, struct iommu_check *c)
{
	char found[sizeof(c->message)] = "", clean[sizeof(c->message)] = "", hint[sizeof(c->hint)] = "";
	struct gpu_fixes fx = { 0 };
	int gpus = 0, bad = 0, unsaid_bad = 0, unsaid_clean = 0;
	/* Room left for " | and NN more display controller(s) ...". */
	const size_t keep = 64;

	for (int i = 0; i < n; i++) {
		const struct iommu_device *d = &devs[i];
		char lbl[2 * IOMMU_NAME_LEN], one[sizeof(c->message)], seen[192];
		if ((d->class_code >> 16) != PCI_BASE_CLASS_DISPLAY || d->bridge || d->host_bridge)
			continue;
		gpus++;
		iommu_device_label(d, lbl, sizeof(lbl));
		/* Short enough that the first card, named, always fits. */
		gpu_inspect(h, devs, n, i, &fx, one, sizeof(found) - keep - strlen(lbl) - IOMMU_BDF_LEN - 4, seen,
			    sizeof(seen));
		if (one[0]) {
			if (unsaid_bad || !append(found, sizeof(found), keep, "%s%s %s: %s", bad ? " | " : "", d->bdf,
						  lbl, one))
				unsaid_bad++;
			bad++;
		} else if (unsaid_clean || !append(clean, sizeof(clean), keep, "%s%s %s: %s", clean[0] ? " | " : "",
						   d->bdf, lbl, seen)) {
			unsaid_clean++;
		}
	}
	if (!gpus) {
		set(c, "gpu", IOMMU_CHECK_PASS, "", "no display controller (PCI class 03) found");
		return;
	}
	if (!bad) {
		if (unsaid_clean)
			append(clean, sizeof(clean), 0, " | and %d more", unsaid_clean);
		set(c, "gpu", IOMMU_CHECK_PASS, "", "ready for passthrough: %s", clean);
		return;
	}
	if (unsaid_bad)
		append(found, sizeof(found), 0, " | and %d more display controller(s) with findings", unsaid_bad);

	/* One fix per kind of finding, the ones that block passthrough first. */
	if (fx.no_group)
		append(hint, sizeof(hint), 0, "turn the IOMMU on (see the iommu check)");
	if (fx.driver)
		append(hint, sizeof(hint), 0, "%sbind it to vfio-pci before the host driver does: vfio-pci.ids=%s on the "
		       "kernel command line, or partvm vfio bind %s%s", hint[0] ? "; " : "", fx.ids, fx.bdfs,
		       fx.cut ? " ..." : "");
	if (fx.boot)
		append(hint, sizeof(hint), 0, "%skeep the host console off the boot display (video=efifb:off, or another "
		       "primary GPU in the firmware setup)", hint[0] ? "; " : "");
	if (fx.shared)
		append(hint, sizeof(hint), 0, "%suse a slot with its own IOMMU group, or pass the whole group "
		       "(partvm vfio bind --group)", hint[0] ? "; " : "");
	if (fx.no_reset)
		append(hint, sizeof(hint), 0, "%s%s", hint[0] ? "; " : "",
		       fx.amd ? "load vendor-reset for AMD GPUs; otherwise reboot the host before another guest gets "
				"the card"
			      : "reboot the host before another guest gets the card (nothing clears its state)");
	if (fx.identity)
		append(hint, sizeof(hint), 0, "%siommu=pt trades the host's DMA isolation for speed: boot without it "
		       "if host devices should stay confined", hint[0] ? "; " : "");
	set(c, "gpu", IOMMU_CHECK_WARN, hint, "%s", found);
}

int iommu_host_check(const struct iommu_host *h, struct iommu_check *out, size_t max)
{
	_cleanup_free_ struct iommu_device *devs = NULL;
	struct iommu_check all[IOMMU_CHECKS_MAX];
	char cmdline[4096];
	size_t k = 0;
	int n;

	memset(all, 0, sizeof(all));
	slurp(h->root, "/proc/cmdline", cmdline, sizeof(cmdline));
	cmdline[strcspn(cmdline, "\n")] = '\0';
	n = iommu_device_list(h, &devs);
	if (n < 0)
		n = 0;
	check_kvm(h, &all[k++]);
	check_iommu(h, cmdline, &all[k++]);
	check_intremap(h, &all[k++]);
	check_vfio(h, &all[k++]);
	check_hugepages(h, &all[k++]);
	check_groups(h, cmdline, devs, n, &all[k++]);
	check_resets(devs, n, &all[k++]);
	check_gpu(h, devs, n, &all[k++]);
	if (k > max)
		k = max;
	memcpy(out, all, k * sizeof(*out));
	return (int)k;
}
