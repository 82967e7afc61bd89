/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host side of passthrough: PCI addresses, IOMMU groups and their
 * viability, "in use by the host" detection, and managed vfio-pci binding
 * with a persistent record of each device's original driver so that it can
 * be given back, even after the process that bound it was killed.
 *
 * Everything reads and writes below ROOT (struct iommu_host.root): "" is
 * this machine; unit tests point it at a fake tree. Functions return 0 (or a
 * count) or a negative errno and never print. Refusals also fill a
 * struct iommu_problem that iommu_format_problem() turns into the one line
 * the user sees, naming the device and the fix.
 */
#ifndef PARTVM_IOMMU_H
#define PARTVM_IOMMU_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- PCI addresses ------------------------------------------------------ */

/* "0000:00:12.0" plus its NUL. */
#define IOMMU_BDF_LEN 13

/*
 * Parse "DDDD:BB:DD.F" or "BB:DD.F" (domain 0), hex digits of either case,
 * into the canonical lower-case "DDDD:BB:DD.F". Anything else (missing or
 * extra digits, device > 0x1f, function > 7, trailing text) is -EINVAL.
 */
int iommu_parse_bdf(const char *s, char out[IOMMU_BDF_LEN]);

/* ---- Where the host is -------------------------------------------------- */

struct iommu_host {
	char root[PATH_MAX];      /* prefix for /sys, /proc and /dev ("" = real) */
	char state_dir[PATH_MAX]; /* bind records, normally /run/partvm/vfio */
	int timeout_ms;           /* how long to wait for a bind event */
};

/* ROOT from partvm_sysfs_root(), STATE_DIR from partvm_runtime_dir()/vfio. */
int iommu_host_init(struct iommu_host *h);

/* ---- Devices ------------------------------------------------------------ */

#define IOMMU_NAME_LEN 128
#define IOMMU_DRIVER_LEN 64

struct iommu_device {
	char bdf[IOMMU_BDF_LEN];
	uint16_t vendor_id, device_id;
	uint32_t class_code;                /* 24 bits: class, subclass, prog-if */
	char vendor[IOMMU_NAME_LEN];        /* pci.ids names, "" if unknown */
	char device[IOMMU_NAME_LEN];
	char class_name[IOMMU_NAME_LEN];
	int group;                          /* IOMMU group, -1 for none */
	char driver[IOMMU_DRIVER_LEN];      /* "" when unbound */
	char driver_override[IOMMU_DRIVER_LEN]; /* "" when unset */
	char reset_methods[128];            /* sysfs reset_method, "" if none */
	bool flr;                           /* PCIe DevCap Function Level Reset */
	bool acs;                           /* has an ACS extended capability */
	bool bridge;                        /* type 1/2 header: not an endpoint */
	bool host_bridge;                   /* class 06/00 */
	bool sriov_pf;                      /* SR-IOV capability with VFs possible */
	bool sriov_vf;                      /* has a physfn */
	char physfn[IOMMU_BDF_LEN];         /* the PF of a VF */
	unsigned num_vfs, total_vfs;
	bool in_use;                        /* by the host; see iommu_device_usage */
	char in_use_reason[256];            /* "network interface eth0 is up" ... */
};

/*
 * Read everything about one device (BDF canonical). -ENODEV when there is no
 * such device under ROOT.
 */
int iommu_device_read(const struct iommu_host *h, const char *bdf, struct iommu_device *d);

/*
 * All PCI devices, sorted by BDF, read as iommu_device_read() does. On the
 * real system (ROOT "") the list comes from libudev's enumerator; with a
 * prefix, from ROOT/sys/bus/pci/devices (libudev has no root prefix).
 * *OUT is malloc'ed; returns the count or a negative errno.
 */
int iommu_device_list(const struct iommu_host *h, struct iommu_device **out);

/* "Intel Corporation 82576 Virtual Function" (vendor + device names). */
void iommu_device_label(const struct iommu_device *d, char *buf, size_t len);

/*
 * Is the device in use by the host? Checks, in order: the boot VGA device;
 * the device behind the root filesystem; block devices with mounted
 * filesystems, swap or holders; network interfaces that are up or have an
 * address; DRM cards with open file descriptors. Returns 1 (REASON filled,
 * all reasons joined with "; "), 0, or a negative errno.
 */
int iommu_device_usage(const struct iommu_host *h, const char *bdf, char *reason, size_t len);

/* ---- Groups ------------------------------------------------------------- */

#define IOMMU_BLOCKERS_MAX 16

/*
 * A group is viable for VFIO when every endpoint in it is on vfio-pci, on
 * pci-stub or has no driver; bridges and root ports do not count (the kernel
 * lets them keep pcieport).
 */
struct iommu_viability {
	bool viable;
	size_t ndevices;                    /* in the group, bridges included */
	size_t nblockers;                   /* endpoints on another driver */
	struct {
		char bdf[IOMMU_BDF_LEN];
		char driver[IOMMU_DRIVER_LEN];
	} blockers[IOMMU_BLOCKERS_MAX];    /* the first nblockers, up to the max */
};

/* The BDFs in group GROUP, sorted. *OUT malloc'ed; returns the count. */
int iommu_group_devices(const struct iommu_host *h, int group, char (**out)[IOMMU_BDF_LEN]);

/* Viability of GROUP. Returns 0 or a negative errno (-ENOENT: no group). */
int iommu_group_viability(const struct iommu_host *h, int group, struct iommu_viability *v);

/* The group numbers present under ROOT/sys/kernel/iommu_groups, sorted. */
int iommu_group_list(const struct iommu_host *h, int **out);

/* ---- Bind records (state files) ----------------------------------------- */

#define IOMMU_OWNER_LEN 64

/*
 * One file per device bound by partvm, STATE_DIR/<BDF>, written before the
 * device is touched so that a bind interrupted at any point can be undone:
 *
 *   # partvm vfio bind record
 *   version=1
 *   bdf=0000:00:12.0
 *   driver=igbvf                 original driver, empty for none
 *   driver_override=             original driver_override, empty for none
 *   owner=web                    partition name, empty for the CLI
 *   pid=1234                     owner process, 0 when none (CLI)
 *   starttime=56789              its start time (/proc/PID/stat field 22),
 *                                so a reused pid is not mistaken for it
 */
struct iommu_record {
	char bdf[IOMMU_BDF_LEN];
	char driver[IOMMU_DRIVER_LEN];
	char driver_override[IOMMU_DRIVER_LEN];
	char owner[IOMMU_OWNER_LEN];
	pid_t pid;
	unsigned long long starttime;
};

/* Serialise R (the text above, without the comments). */
int iommu_record_format(const struct iommu_record *r, char *buf, size_t len);
/* Parse a record; -EBADMSG on any malformed or missing key. */
int iommu_record_parse(const char *text, struct iommu_record *r);
/* Atomically (temporary file + rename) write STATE_DIR/<BDF>. */
int iommu_record_save(const struct iommu_host *h, const struct iommu_record *r);
/* Read STATE_DIR/<BDF>; -ENOENT when partvm holds no record for it. */
int iommu_record_load(const struct iommu_host *h, const char *bdf, struct iommu_record *r);
int iommu_record_remove(const struct iommu_host *h, const char *bdf);
/* All records, sorted by BDF; *OUT malloc'ed; returns the count. */
int iommu_record_list(const struct iommu_host *h, struct iommu_record **out);
/* Is the record's owner process still running (same pid and start time)? */
bool iommu_record_owner_alive(const struct iommu_host *h, const struct iommu_record *r);

/*
 * Exclusive lock on STATE_DIR/.lock for one bind or restore transaction, so
 * that concurrent partitions never interleave their checks and records.
 * Returns the lock fd (close it to unlock) or a negative errno.
 */
int iommu_state_lock(const struct iommu_host *h);

/* ---- Refusals ----------------------------------------------------------- */

enum iommu_problem_kind {
	IOMMU_PROBLEM_NONE,
	IOMMU_PROBLEM_BAD_BDF,        /* malformed address */
	IOMMU_PROBLEM_NO_DEVICE,      /* no such PCI device */
	IOMMU_PROBLEM_NO_GROUP,       /* no IOMMU group: IOMMU off */
	IOMMU_PROBLEM_BRIDGE,         /* host bridge, root port, PCI bridge */
	IOMMU_PROBLEM_IN_USE,         /* detail: what uses it */
	IOMMU_PROBLEM_NOT_VIABLE,     /* detail: the other devices, drivers */
	IOMMU_PROBLEM_HELD,           /* detail: the owning partition */
	IOMMU_PROBLEM_NO_VFIO_DRIVER, /* vfio-pci not loaded */
	IOMMU_PROBLEM_BIND_FAILED,    /* detail: step; err: errno */
	IOMMU_PROBLEM_RESTORE_FAILED, /* detail: step; err: errno */
	IOMMU_PROBLEM_NOT_HELD,       /* unbind of a device partvm did not bind */
};

struct iommu_problem {
	enum iommu_problem_kind kind;
	char bdf[IOMMU_BDF_LEN];
	char label[2 * IOMMU_NAME_LEN];     /* vendor and device name */
	char detail[512];
	int err;                            /* negative errno, 0 if none */
};

/* One line: "0000:00:12.0 (Intel 82576 VF): <reason>; <fix hint>". */
void iommu_format_problem(const struct iommu_problem *p, char *buf, size_t len);

/* ---- Managed binding ---------------------------------------------------- */

/* Bind every endpoint of each named device's group, not only the device. */
#define IOMMU_BIND_GROUP (1u << 0)

enum iommu_bind_outcome {
	IOMMU_BIND_BOUND,     /* moved to vfio-pci now; a record was written */
	IOMMU_BIND_ALREADY,   /* was on vfio-pci without a record: left alone */
	IOMMU_BIND_HELD,      /* already recorded for this same owner */
	IOMMU_BIND_ADOPTED,   /* recorded for an owner that is gone; now ours */
};

struct iommu_owner {
	const char *name;     /* partition name; NULL or "" for the CLI */
	pid_t pid;            /* process holding the devices; 0 for none */
};

struct iommu_bound {
	char bdf[IOMMU_BDF_LEN];
	char orig_driver[IOMMU_DRIVER_LEN]; /* what a restore will bring back */
	enum iommu_bind_outcome outcome;
	int group;
};

/*
 * Bind BDFS[0..N) (with IOMMU_BIND_GROUP, their whole groups) to vfio-pci
 * for OWNER, as one transaction under the state lock: every device is
 * checked first (exists, has a group, is no bridge, is not in use by the
 * host, its group would be viable and is not held by another live owner),
 * then each device is recorded and bound in turn. If the k-th bind fails,
 * devices k..1 are given back to their drivers and their records removed.
 *
 * On success returns the number of entries written to OUT (at most MAX):
 * every device involved, with its outcome. On refusal or failure returns a
 * negative errno and fills WHY.
 */
int iommu_bind_devices(const struct iommu_host *h, const char *const *bdfs, size_t n,
		       const struct iommu_owner *owner, unsigned flags,
		       struct iommu_bound *out, size_t max, struct iommu_problem *why);

/*
 * Give BDF back to its recorded driver: unbind from vfio-pci, restore the
 * original driver_override, bind the original driver (if any) and wait for
 * it, remove the record. A device that no longer exists (a destroyed VF)
 * just loses its record. -ENOENT (kind NOT_HELD) when partvm holds no record.
 * A record whose owner is still running is refused (HELD) unless FORCE.
 */
int iommu_restore_device(const struct iommu_host *h, const char *bdf, bool force,
			 struct iommu_problem *why);

/*
 * Restore every record of partition OWNER (NULL: every record, for boot-time
 * cleanup and `vfio restore --all`). Records of live owners other than the
 * caller's own process are skipped unless FORCE. Keeps going after a
 * failure; returns the number restored, or the first error with WHY filled.
 * RESTORED/FAILED (optional) receive the counts.
 */
int iommu_restore_owner(const struct iommu_host *h, const char *owner, bool force,
			unsigned *restored, unsigned *failed, struct iommu_problem *why);

/* ---- What the VMM needs before opening a group -------------------------- */

struct iommu_group_info {
	int group;                          /* -1: no IOMMU group */
	char vfio_path[PATH_MAX];           /* ROOT/dev/vfio/N */
	struct iommu_viability viability;
	bool held;                          /* a device of the group has a record */
	char holder[IOMMU_OWNER_LEN];       /* its owner ("" for the CLI) */
	pid_t holder_pid;
	bool holder_alive;
};

/* Group number, /dev/vfio path, viability and holder of BDF's group. */
int iommu_query_device(const struct iommu_host *h, const char *bdf, struct iommu_group_info *gi);

/* ---- Host readiness (`partvm host check`) ------------------------------- */

enum iommu_check_status { IOMMU_CHECK_PASS, IOMMU_CHECK_WARN, IOMMU_CHECK_FAIL };

struct iommu_check {
	const char *name;                   /* "kvm", "iommu", "intremap", ... */
	enum iommu_check_status status;
	char message[1024];                 /* what was found, naming things */
	char hint[768];                     /* the fix(es), "" for PASS */
};

#define IOMMU_CHECKS_MAX 8

/*
 * Run every check against the host under H->root: /dev/kvm and vmx/svm;
 * IOMMU (DMAR/IVRS, groups, kernel command line); interrupt remapping or
 * allow_unsafe_interrupts; vfio-pci and vfio_iommu_type1 loaded or
 * loadable; hugepages; groups shared with host-critical devices and ACS
 * override; devices without FLR or bus reset; display controllers (GPUs)
 * that share their group, lack a reset, are held by a host driver or the
 * boot console, or sit in an identity (iommu=pt) group. Returns the number
 * of results written to OUT (at most MAX) or a negative errno.
 */
int iommu_host_check(const struct iommu_host *h, struct iommu_check *out, size_t max);
const char *iommu_check_status_name(enum iommu_check_status s);

#endif
