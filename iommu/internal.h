/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers shared by the files of iommu/; not part of its public face. */
#ifndef PARTVM_IOMMU_INTERNAL_H
#define PARTVM_IOMMU_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "iommu/iommu.h"

struct pcidb;

/* ROOT followed by the printf-formatted path; -ENAMETOOLONG if cut. */
int iommu_path(char *buf, size_t len, const char *root, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Does ROOT/PATH exist (following links)? */
bool iommu_exists(const char *root, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* libpci, loaded and set up to read config space under ROOT/sys/bus/pci,
 * into *OUT. -ELIBACC when libpci cannot be loaded, -ENOMEM. */
int pcidb_open(const char *root, struct pcidb **out);
void pcidb_close(struct pcidb *db);
/* Fill D's vendor, device and class names from the IDs already in D. */
void pcidb_name(struct pcidb *db, struct iommu_device *d);
/* Its names and its capability flags. */
void pcidb_describe(struct pcidb *db, struct iommu_device *d);

/* Drivers that leave a group viable (vfio-pci, pci-stub) or no driver. */
bool iommu_driver_is_vfio_safe(const char *driver);

/* Block until BDF's driver is DRIVER ("" = none) or H's timeout passes;
 * starts listening before checking, so W must exist before the action.
 * Returns 0, -ETIMEDOUT or another negative errno. */
struct uevent_waiter;
int iommu_wait_driver(const struct iommu_host *h, struct uevent_waiter *w,
		      const char *bdf, const char *driver);

/* Current driver of BDF ("" when none). */
int iommu_read_driver(const struct iommu_host *h, const char *bdf, char *buf, size_t len);

/* Start time of process PID under ROOT (for bind records). */
int iommu_record_owner_starttime(const struct iommu_host *h, pid_t pid, unsigned long long *out);

/* The sysfs driver interface, one write each (driver.c). */
int iommu_set_override(const struct iommu_host *h, const char *bdf, const char *driver);
int iommu_unbind_driver(const struct iommu_host *h, const char *bdf, const char *driver);
int iommu_bind_driver(const struct iommu_host *h, const char *bdf, const char *driver);
int iommu_probe_device(const struct iommu_host *h, const char *bdf);
bool iommu_driver_loaded(const struct iommu_host *h, const char *driver);

/* Give REC's device back to its recorded driver and drop the record
 * (restore.c); fills WHY on failure. */
int iommu_give_back(const struct iommu_host *h, const struct iommu_record *rec,
		    struct iommu_problem *why);

/* Fill WHY (may be NULL) for device BDF, labelled when it can be read. */
int iommu_problem_set(const struct iommu_host *h, struct iommu_problem *why,
		      enum iommu_problem_kind kind, const char *bdf, int err, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#endif
