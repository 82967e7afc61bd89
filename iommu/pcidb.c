// SPDX-License-Identifier: GPL-2.0-only
/*
 * libpci for what sysfs does not say directly: names from pci.ids (or the
 * udev hwdb) and capabilities found by walking config space, which libpci
 * reads from ROOT/sys/bus/pci/devices/BDF/config.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pci/pci.h>

#include "core/util/log.h"
#include "iommu/internal.h"

/* libpci calls these on trouble; library code does not print, so warnings
 * and debug output go to the debug log only. error() must not return. */
static void PCI_NONRET pcidb_error(char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	log_full_errnov(LOG_ERR, 0, msg, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}

static void pcidb_quiet(char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	log_full_errnov(LOG_DEBUG, 0, msg, ap);
	va_end(ap);
}

struct pci_access *pcidb_open(const char *root)
{
	char path[PATH_MAX];
	struct pci_access *a;

	if (iommu_path(path, sizeof(path), root, "/sys/bus/pci") < 0)
		return NULL;
	a = pci_alloc();
	if (!a)
		return NULL;
	a->error = pcidb_error;
	a->warning = pcidb_quiet;
	a->debug = pcidb_quiet;
	/* Only the sysfs method honours a root prefix, and it is the one that
	 * reads extended (PCIe) config space. */
	a->method = PCI_ACCESS_SYS_BUS_PCI;
	pci_set_param(a, "sysfs.path", path);
	pci_init(a);
	return a;
}

void pcidb_close(struct pci_access *a)
{
	if (a)
		pci_cleanup(a);
}

static void copy_name(char *out, size_t len, const char *s)
{
	snprintf(out, len, "%s", s ? s : "");
}

void pcidb_describe(struct pci_access *a, struct iommu_device *d)
{
	unsigned dom, bus, dev, fn;
	struct pci_dev *p;
	struct pci_cap *cap;

	char buf[IOMMU_NAME_LEN];

	copy_name(d->vendor, sizeof(d->vendor),
		  pci_lookup_name(a, buf, sizeof(buf), PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS, d->vendor_id));
	copy_name(d->device, sizeof(d->device),
		  pci_lookup_name(a, buf, sizeof(buf), PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS, d->vendor_id, d->device_id));
	copy_name(d->class_name, sizeof(d->class_name),
		  pci_lookup_name(a, buf, sizeof(buf), PCI_LOOKUP_CLASS | PCI_LOOKUP_NO_NUMBERS, d->class_code >> 8));

	if (sscanf(d->bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return;
	p = pci_get_dev(a, (int)dom, (int)bus, (int)dev, (int)fn);
	if (!p)
		return;
	pci_fill_info(p, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CAPS | PCI_FILL_EXT_CAPS);

	switch (pci_read_byte(p, PCI_HEADER_TYPE) & 0x7f) {
	case PCI_HEADER_TYPE_BRIDGE:
	case PCI_HEADER_TYPE_CARDBUS:
		d->bridge = true;
		break;
	}
	cap = pci_find_cap(p, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
	if (cap)
		d->flr = (pci_read_long(p, cap->addr + PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLRESET) != 0;
	d->acs = pci_find_cap(p, PCI_EXT_CAP_ID_ACS, PCI_CAP_EXTENDED) != NULL;
	if (pci_find_cap(p, PCI_EXT_CAP_ID_SRIOV, PCI_CAP_EXTENDED))
		d->sriov_pf = true;
	pci_free_dev(p);
}
