// SPDX-License-Identifier: GPL-2.0-only
/*
 * libpci for what sysfs does not say directly: names from pci.ids (or the
 * udev hwdb) and capabilities found by walking config space, which libpci
 * reads from ROOT/sys/bus/pci/devices/BDF/config.
 *
 * libpci is loaded by pcidb_open(), not linked: a partition without VFIO
 * never needs it, and loading it (and the libz it pulls in) at every
 * start cost about 3 ms of the lab's 74 ms start-up (an empty program
 * linked with libpci and libudev took 6.6 ms longer to exec there than one
 * without). Its symbols are looked up in the process's global scope once
 * the library is in it, so a program that defines one itself is the one
 * called.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pci/pci.h>

#include "core/util/dynlib.h"
#include "core/util/log.h"
#include "iommu/internal.h"

#define PCIDB_LIB "libpci.so.3"

/* The libpci calls this file makes. */
#define PCI_CALLS(X) \
	X(pci_alloc) X(pci_init) X(pci_cleanup) X(pci_set_param) X(pci_lookup_name) \
	X(pci_get_dev) X(pci_free_dev) X(pci_fill_info) X(pci_find_cap) X(pci_read_byte) \
	X(pci_read_long)

struct pcidb {
	void *lib;
	struct pci_access *a;
	PCI_CALLS(DYNLIB_FIELD)
};

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

static int api_load(struct pcidb *api)
{
	int r = dynlib_open(PCIDB_LIB, &api->lib);

	if (r < 0)
		return r;
	PCI_CALLS(DYNLIB_LOOKUP)
	return 0;
}

int pcidb_open(const char *root, struct pcidb **out)
{
	char path[PATH_MAX];
	struct pcidb *db;
	int r;

	*out = NULL;
	r = iommu_path(path, sizeof(path), root, "/sys/bus/pci");
	if (r < 0)
		return r;
	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	r = api_load(db);
	if (r < 0) {
		pcidb_close(db);
		return r;
	}
	db->a = db->pci_alloc();
	if (!db->a) {
		pcidb_close(db);
		return -ENOMEM;
	}
	db->a->error = pcidb_error;
	db->a->warning = pcidb_quiet;
	db->a->debug = pcidb_quiet;
	/* Only the sysfs method honours a root prefix, and it is the one that
	 * reads extended (PCIe) config space. */
	db->a->method = PCI_ACCESS_SYS_BUS_PCI;
	db->pci_set_param(db->a, "sysfs.path", path);
	db->pci_init(db->a);
	*out = db;
	return 0;
}

void pcidb_close(struct pcidb *db)
{
	if (!db)
		return;
	if (db->a)
		db->pci_cleanup(db->a);
	if (db->lib)
		dlclose(db->lib);
	free(db);
}

static void copy_name(char *out, size_t len, const char *s)
{
	snprintf(out, len, "%s", s ? s : "");
}

void pcidb_name(struct pcidb *db, struct iommu_device *d)
{
	char buf[IOMMU_NAME_LEN];

	copy_name(d->vendor, sizeof(d->vendor),
		  db->pci_lookup_name(db->a, buf, sizeof(buf), PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS,
				      d->vendor_id));
	copy_name(d->device, sizeof(d->device),
		  db->pci_lookup_name(db->a, buf, sizeof(buf), PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS,
				      d->vendor_id, d->device_id));
	copy_name(d->class_name, sizeof(d->class_name),
		  db->pci_lookup_name(db->a, buf, sizeof(buf), PCI_LOOKUP_CLASS | PCI_LOOKUP_NO_NUMBERS,
				      d->class_code >> 8));
}

void pcidb_describe(struct pcidb *db, struct iommu_device *d)
{
	unsigned dom, bus, dev, fn;
	struct pci_dev *p;
	struct pci_cap *cap;

	pcidb_name(db, d);
	if (sscanf(d->bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return;
	p = db->pci_get_dev(db->a, (int)dom, (int)bus, (int)dev, (int)fn);
	if (!p)
		return;
	db->pci_fill_info(p, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CAPS | PCI_FILL_EXT_CAPS);

	switch (db->pci_read_byte(p, PCI_HEADER_TYPE) & 0x7f) {
	case PCI_HEADER_TYPE_BRIDGE:
	case PCI_HEADER_TYPE_CARDBUS:
		d->bridge = true;
		break;
	}
	cap = db->pci_find_cap(p, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
	if (cap)
		d->flr = (db->pci_read_long(p, cap->addr + PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLRESET) != 0;
	d->acs = db->pci_find_cap(p, PCI_EXT_CAP_ID_ACS, PCI_CAP_EXTENDED) != NULL;
	if (db->pci_find_cap(p, PCI_EXT_CAP_ID_SRIOV, PCI_CAP_EXTENDED))
		d->sriov_pf = true;
	db->pci_free_dev(p);
}
