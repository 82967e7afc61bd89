/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SR-IOV partitioning: find PFs and their VFs in sysfs, change the VF count,
 * read and write VF attributes over rtnetlink (IFLA_VFINFO_LIST), and hand
 * VFs to partitions from pools.
 *
 * Library code: every function returns 0 (or a count) or a negative errno
 * and prints nothing. Where a caller needs to tell the user *what* was
 * wrong (a key, a value, an attribute the driver refused), the function
 * fills an ERR buffer with one line naming it.
 *
 * ROOT is the sysfs prefix ("" for the real system, see core/sysfs.h);
 * RUNTIME is the state directory (partvm_runtime_dir(), /run/partvm).
 */
#ifndef PARTVM_SRIOV_H
#define PARTVM_SRIOV_H

#include <linux/if_ether.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/util/cleanup.h"

#define SRIOV_BDF_MAX 32
#define SRIOV_DRIVER_MAX 64
#define SRIOV_NAME_MAX 64
#define SRIOV_MAC_STRLEN 18 /* "xx:xx:xx:xx:xx:xx" + NUL */

/* ------------------------------------------------------------------ */
/* settings.c: VF attributes and the one key=value parser             */

/* The keys of `partvm sriov set` and of a partition's [sriov] section. */
enum sriov_key {
	SRIOV_KEY_MAC,
	SRIOV_KEY_VLAN,
	SRIOV_KEY_QOS,
	SRIOV_KEY_VLAN_PROTO,
	SRIOV_KEY_SPOOFCHK,
	SRIOV_KEY_TRUST,
	SRIOV_KEY_LINK_STATE,
	SRIOV_KEY_MIN_RATE,
	SRIOV_KEY_MAX_RATE,
	SRIOV_KEY_QUERY_RSS,
	_SRIOV_KEY_MAX,
};
#define SRIOV_KEY_BIT(k) (1u << (k))
#define SRIOV_KEYS_ALL ((1u << _SRIOV_KEY_MAX) - 1)

/*
 * A VF's attributes as its PF driver reports them. A boolean the driver
 * does not report (the kernel sends -1, e.g. query-rss on igb) is -1.
 */
struct sriov_vf_config {
	uint8_t mac[ETH_ALEN];
	uint16_t vlan;       /* 0 = untagged */
	uint8_t qos;         /* 802.1p priority, 0-7 */
	uint16_t vlan_proto; /* ETH_P_8021Q or ETH_P_8021AD, host byte order */
	int8_t spoofchk;
	int8_t trust;
	int8_t query_rss;
	uint32_t link_state; /* IFLA_VF_LINK_STATE_AUTO/ENABLE/DISABLE */
	uint32_t min_rate;   /* Mbit/s, 0 = no guarantee */
	uint32_t max_rate;   /* Mbit/s, 0 = no limit */
};

/* A set of requested changes: the keys given and their values. */
struct sriov_settings {
	uint32_t keys; /* SRIOV_KEY_BIT()s */
	struct sriov_vf_config cfg;
};

const char *sriov_key_name(enum sriov_key k);

/*
 * Parse KEY = VALUE into S (and mark KEY as given). Returns 0, -ENOENT for
 * an unknown key, or -EINVAL for a bad value; ERR then holds one line such
 * as "vlan: 4095 is above 4094".
 */
int sriov_parse_setting(struct sriov_settings *s, const char *key, const char *value,
			char *err, size_t errlen);
/* The same for one "key=value" word of the command line. */
int sriov_parse_assignment(struct sriov_settings *s, const char *word, char *err, size_t errlen);

/* OUT = CUR with the keys of S replaced. */
void sriov_settings_merge(const struct sriov_settings *s, const struct sriov_vf_config *cur,
			  struct sriov_vf_config *out);
/* Check rules that span keys (min-rate <= max-rate). -EINVAL + ERR. */
int sriov_config_check(const struct sriov_vf_config *c, char *err, size_t errlen);

/* The settings a VF returns to when a partition lets it go: MAC
 * 00:00:00:00:00:00, VLAN 0, trust off, spoofchk on, no rate limits. */
void sriov_settings_neutral(struct sriov_settings *s);

/* VALUE of key K in C, as the parser accepts it ("on", "802.1Q", ...). */
int sriov_format_key(const struct sriov_vf_config *c, enum sriov_key k, char *buf, size_t len);
const char *sriov_format_mac(const uint8_t mac[ETH_ALEN], char buf[SRIOV_MAC_STRLEN]);
const char *sriov_link_state_name(uint32_t state);
const char *sriov_vlan_proto_name(uint16_t proto);

/*
 * The netlink attributes, in the order partvm writes them. Each is one
 * IFLA_VF_* and one rtnl_link_change(), so a refusal names its attribute.
 */
enum sriov_attr {
	SRIOV_ATTR_MAC,        /* IFLA_VF_MAC */
	SRIOV_ATTR_VLAN,       /* IFLA_VF_VLAN(_LIST): vlan, qos, vlan-proto */
	SRIOV_ATTR_SPOOFCHK,   /* IFLA_VF_SPOOFCHK */
	SRIOV_ATTR_TRUST,      /* IFLA_VF_TRUST */
	SRIOV_ATTR_LINK_STATE, /* IFLA_VF_LINK_STATE */
	SRIOV_ATTR_RATE,       /* IFLA_VF_RATE: min-rate, max-rate */
	SRIOV_ATTR_QUERY_RSS,  /* IFLA_VF_RSS_QUERY_EN */
	_SRIOV_ATTR_MAX,
};
#define SRIOV_ATTR_BIT(a) (1u << (a))

uint32_t sriov_attr_keys(enum sriov_attr a);
bool sriov_attr_equal(enum sriov_attr a, const struct sriov_vf_config *x,
		      const struct sriov_vf_config *y);
/* "vlan=100 qos=3" for the keys of A whose value differs between FROM
 * and TO (all of A's keys when none differs). */
void sriov_attr_describe(enum sriov_attr a, const struct sriov_vf_config *from,
			 const struct sriov_vf_config *to, char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* pf.c: PFs and VFs in sysfs                                          */

struct sriov_pf {
	char bdf[SRIOV_BDF_MAX];
	char ifname[IF_NAMESIZE]; /* "" when the PF is no network device */
	int ifindex;              /* 0 when the PF is no network device */
	char driver[SRIOV_DRIVER_MAX];
	unsigned totalvfs;
	unsigned numvfs;
	bool autoprobe; /* sriov_drivers_autoprobe */
};

struct sriov_vf {
	unsigned index;
	char bdf[SRIOV_BDF_MAX];
	char driver[SRIOV_DRIVER_MAX]; /* "" when unbound */
	char ifname[IF_NAMESIZE];      /* "" when it has no netdev */
};

/*
 * Find the PF named NAME: a network interface ("eth0") or a PCI address
 * ("0000:00:02.0", or "00:02.0" in domain 0). -ENODEV when there is no
 * such device, -EOPNOTSUPP when it is not an SR-IOV PF.
 */
int sriov_pf_find(const char *root, const char *name, struct sriov_pf *pf);
/* Re-read a PF's numvfs, autoprobe and netdev (after a change). */
int sriov_pf_refresh(const char *root, struct sriov_pf *pf);
/* All SR-IOV capable PFs, sorted by BDF. Returns the count; *PFS is
 * malloc'ed (NULL when the count is 0). */
int sriov_pf_list(const char *root, struct sriov_pf **pfs);
/* VF INDEX of PF (virtfnINDEX). -ENOENT when it does not exist. */
int sriov_vf_get(const char *root, const struct sriov_pf *pf, unsigned index,
		 struct sriov_vf *vf);
/* Which VF of which PF the PCI function VF_BDF is. -ENOENT if none. */
int sriov_vf_find_by_bdf(const char *root, const char *vf_bdf, struct sriov_pf *pf,
			 unsigned *index);

/* ------------------------------------------------------------------ */
/* numvfs.c: creating and destroying VFs                              */

/*
 * Set PF's VF count to N (0 destroys them). Going from one non-zero count
 * to another passes through 0, as the kernel requires. AUTOPROBE 0 or 1
 * sets sriov_drivers_autoprobe first (-1 leaves it). On a failure the
 * previous count and autoprobe are put back where possible. -ERANGE when N
 * exceeds totalvfs. The caller checks that no VF is held first.
 *
 * Then waits up to TIMEOUT_MS (udev monitor) until every VF exists as a
 * PCI device and, for a network PF whose VFs are probed, is bound to a
 * driver and has its netdev. -ETIMEDOUT when the VFs exist but did not get
 * that far; PF is refreshed in every case.
 */
int sriov_pf_set_numvfs(const char *root, struct sriov_pf *pf, unsigned n, int autoprobe,
			int timeout_ms);

/* ------------------------------------------------------------------ */
/* netlink.c: VF attributes over rtnetlink (libnl-route-3)            */

struct sriov_nl;

int sriov_nl_open(struct sriov_nl **nl);
void sriov_nl_close(struct sriov_nl *nl);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sriov_nl *, sriov_nl_close)
/* The attributes of VF of the PF with IFINDEX. -ENOENT when the PF does
 * not report that VF. */
int sriov_nl_read_vf(struct sriov_nl *nl, int ifindex, unsigned vf, struct sriov_vf_config *cfg);
/* All VFs at once into CFGS[0..N); PRESENT[i] tells whether the PF
 * reported VF i. Returns how many were reported. */
int sriov_nl_read_vfs(struct sriov_nl *nl, int ifindex, struct sriov_vf_config *cfgs,
		      bool *present, unsigned n);
/* Write one attribute A of VF with the values in CFG. */
int sriov_nl_write(struct sriov_nl *nl, int ifindex, unsigned vf, enum sriov_attr a,
		   const struct sriov_vf_config *cfg);

/* ------------------------------------------------------------------ */
/* apply.c: a change to one VF as a transaction                       */

struct sriov_apply_result {
	struct sriov_vf_config before; /* as read before the change */
	struct sriov_vf_config after;  /* as read back at the end */
	uint32_t written;              /* SRIOV_ATTR_BIT()s written (and kept, on success) */
	bool bad_input;                /* the settings contradict each other */
	int failed;                    /* the sriov_attr refused or not kept, or -1 */
	bool mismatch;                 /* accepted but read back different */
	uint32_t restored;             /* attributes put back after a failure */
	int rollback_error;            /* 0, or the first error while putting back */
};

/*
 * Read VF's attributes, merge S into them, check, write each attribute
 * that differs and read everything back. On an error or a mismatch, put
 * the written attributes back in reverse order. -EINVAL (with ERR) for
 * settings that contradict each other; otherwise the driver's error, or
 * -EIO when an attribute read back different. ERR then names the refused
 * attribute and what was restored.
 */
int sriov_vf_set(struct sriov_nl *nl, int ifindex, unsigned vf, const struct sriov_settings *s,
		 struct sriov_apply_result *res, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* pool.c: VF allocation records and the pool lock                    */

/*
 * One file per VF a pool handed out, RUNTIME/sriov/<VF BDF>, written under
 * the pool lock before the VF is touched, so that a start interrupted at
 * any point (kill -9) can be undone by `partvm sriov release` or
 * `partvm vfio restore --all`:
 *
 *   # partvm sriov pool allocation
 *   vf_bdf=0000:00:12.2
 *   pf_bdf=0000:00:02.0
 *   vf=1
 *   partition=web
 *   section=uplink
 *   pid=1234
 */
struct sriov_alloc {
	char vf_bdf[SRIOV_BDF_MAX];
	char pf_bdf[SRIOV_BDF_MAX];
	unsigned vf;
	char partition[SRIOV_NAME_MAX];
	char section[SRIOV_NAME_MAX];
	pid_t pid;
};

int sriov_alloc_format(const struct sriov_alloc *a, char *buf, size_t len);
/* -EBADMSG for a malformed record. */
int sriov_alloc_parse(const char *text, struct sriov_alloc *a);
/* -ENOENT when VF_BDF is not allocated. */
int sriov_alloc_load(const char *runtime, const char *vf_bdf, struct sriov_alloc *a);
int sriov_alloc_remove(const char *runtime, const char *vf_bdf);
/* All records, sorted by VF BDF; *OUT malloc'ed; returns the count. */
int sriov_alloc_list(const char *runtime, struct sriov_alloc **out);

/* Exclusive lock on RUNTIME/sriov/.lock; returns the fd (close to unlock). */
int sriov_pool_lock(const char *runtime);

/* Is network interface IFNAME administratively up? False for "". A VF's
 * that is up is in use by the host; a PF's that is down gives its VFs no
 * link (and igb's VFs no MAC: the PF answers their mailbox when up). */
bool sriov_netdev_up(const char *root, const char *ifname);

/*
 * Who holds VF, if anyone: 1 with WHO filled ("partition web (pool
 * 'uplink')", "vfio-pci"), 0 when free, or a negative errno.
 */
int sriov_vf_holder(const char *root, const char *runtime, const struct sriov_vf *vf, char *who,
		    size_t len);

/*
 * Under the pool lock, take the lowest free VF of PF (no record, not held,
 * not bound to vfio-pci, its netdev down) and write its record for
 * PARTITION/SECTION/PID. -EBUSY when every VF is taken.
 */
int sriov_pool_claim(const char *root, const char *runtime, const struct sriov_pf *pf,
		     const char *partition, const char *section, pid_t pid,
		     struct sriov_alloc *out);

/* ------------------------------------------------------------------ */
/* poolconf.c: [sriov "NAME"] sections of a partition config          */

/*
 * One VF pool request: a section
 *
 *   [sriov "uplink"]
 *   pf = eth0
 *   mac = 02:00:00:00:01:01
 *   vlan = 100
 *
 * names the PF to take a VF from and the VF's settings; keys not given
 * get the neutral value (sriov_settings_neutral). A partition may have
 * several sections with distinct names; one bare [sriov] is the pool "".
 */
struct sriov_pool_request {
	char name[SRIOV_NAME_MAX];
	char pf[SRIOV_NAME_MAX];
	struct sriov_settings settings;
	int line; /* of the section's first key, for messages */
};

struct sriov_pool_requests {
	struct sriov_pool_request *v;
	size_t n;
	/* To detect a repeated section: the section of the last key, and
	 * whether a [header] was read since. */
	char last_section[SRIOV_NAME_MAX + 16];
	bool header_seen;
};

/* Is SECTION (as inih reports it) an sriov section? 1 with NAME filled,
 * 0 when it is another section, -EINVAL for a malformed one. */
int sriov_section_name(const char *section, char *name, size_t len);
/*
 * Feed one KEY = VALUE of SECTION at LINE (the config parser's section
 * table calls this for sriov sections). -EINVAL/-ENOENT with ERR naming
 * the problem ("pf is missing", "unknown key 'x'"), -ENOMEM.
 */
int sriov_pool_config_key(struct sriov_pool_requests *reqs, const char *section, const char *key,
			  const char *value, int line, char *err, size_t errlen);
/* A config reader calls this for every [header] line it reads, so that
 * `[sriov "a"]` written twice is caught even when nothing separates them. */
void sriov_pool_config_header(struct sriov_pool_requests *reqs);
/* After the whole file: every section names its pf. */
int sriov_pool_config_check(const struct sriov_pool_requests *reqs, char *err, size_t errlen);
void sriov_pool_requests_free(struct sriov_pool_requests *reqs);

/* ------------------------------------------------------------------ */
/* acquire.c: handing pool VFs to partitions and taking them back     */

struct iommu_host;

/*
 * For each request in turn: claim a free VF of its PF, apply its settings,
 * bind it to vfio-pci for PARTITION/PID through the iommu code. All or
 * nothing: on a failure the VFs taken so far are released again. OUT
 * (N entries) receives the allocations; ERR names the section, PF and VF.
 */
int sriov_pool_acquire(const struct iommu_host *h, const char *partition, pid_t pid,
		       const struct sriov_pool_request *reqs, size_t n, struct sriov_alloc *out,
		       char *err, size_t errlen);

/*
 * Neutralise (MAC 00:00:00:00:00:00, VLAN 0, trust off, spoofchk on, no
 * rate limits), give back to its driver and return to the pool every VF
 * that PARTITION (NULL: any partition) holds. An allocation whose process
 * is still running is skipped unless FORCE. Keeps going after a failure
 * (that VF keeps its record); returns the first error, with ERR.
 *
 * This is the hook `partvm vfio restore` calls before it restores the
 * remaining vfio-pci bindings, so that crash clean-up neutralises VFs.
 */
int sriov_pool_release(const struct iommu_host *h, const char *partition, bool force,
		       unsigned *released, unsigned *failed, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* hostconf.c, hostapply.c: the boot-time host config (host.conf)     */

#define SRIOV_HOST_MAX_VFS 256 /* VF indices a host config can name */

struct sriov_host_pf {
	char name[SRIOV_NAME_MAX]; /* [pf "NAME"]: netdev or PCI address */
	int line;
	bool has_vfs;
	unsigned vfs;  /* vfs = N */
	int autoprobe; /* autoprobe = on/off; -1 when not given */
	uint64_t vfio[SRIOV_HOST_MAX_VFS / 64]; /* vfio = 0,2-3: bit per VF index */
	int vfio_line;
};

struct sriov_host_vf {
	char pf[SRIOV_NAME_MAX]; /* [vf "PF/INDEX"] */
	unsigned index;
	int line;
	struct sriov_settings settings;
};

struct sriov_host_hugepages {
	uint64_t size_kb; /* 2048 for "2M" */
	unsigned long count;
	int line;
};

struct sriov_host_config {
	struct sriov_host_pf *pfs;
	size_t npfs;
	struct sriov_host_vf *vfs;
	size_t nvfs;
	struct sriov_host_hugepages huge[4];
	size_t nhuge;
};

/* Parse PATH. -EINVAL with ERR = "FILE:LINE: message" for bad input; C is
 * left empty on any error. */
int sriov_host_config_load(const char *path, struct sriov_host_config *c, char *err,
			   size_t errlen);
void sriov_host_config_free(struct sriov_host_config *c);

/* Called with one line per change made ("eth0: 7 VFs (was 0)"). */
typedef void (*sriov_host_report_fn)(void *userdata, const char *line);

/*
 * Bring the host to C: VF counts, VF settings, VFs reserved for vfio-pci,
 * hugepages. Everything is checked against the host before the first
 * change (-EINVAL, ERR names the section and line); then each change is
 * made, reported and recorded, and on a failure the changes already made
 * are undone in reverse order. Applying the same config twice changes
 * nothing the second time. Returns the number of changes.
 */
int sriov_host_apply(const struct iommu_host *h, const struct sriov_host_config *c,
		     const char *path, sriov_host_report_fn report, void *userdata, char *err,
		     size_t errlen);

#endif
