/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A partition's configuration: one INI file per partition (parsed with
 * inih), overridden by command-line options. Every error carries the file
 * and line it came from so the user gets "FILE:LINE: what is wrong".
 *
 * [partition] and [boot] are parsed here; every other section belongs to a
 * device type (core/vm/device.h), which parses its own keys into its own
 * conf struct, kept in cfg->devices.
 */
#ifndef PARTVM_CONFIG_H
#define PARTVM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/kvm/kvm.h"
#include "core/util/sandbox.h"

#include "core/vm/device.h"
#include "core/vm/memory.h"

#define CONFIG_MIN_MEMORY   (16ULL << 20)
#define CONFIG_MAX_MEMORY   (1ULL << 40)
/* Static bound; the host's KVM_CAP_MAX_VCPUS is checked when the VM is made. */
#define CONFIG_MAX_CPUS     1024
#define CONFIG_DEFAULT_MEMORY (256ULL << 20)
/* Seconds SIGTERM waits for the guest to power off after the ACPI power
 * button, before stopping it; partvm@.service's TimeoutStopSec is above. */
#define CONFIG_DEFAULT_SHUTDOWN_TIMEOUT 30
/* on: full lab runs with the filters logging (tests/lab/batch reports every
 * call outside them, per test) found none, the systemd units' included. */
#define CONFIG_DEFAULT_SECCOMP SANDBOX_ON
#define CONFIG_MAX_SHUTDOWN_TIMEOUT 3600

struct config_error {
	char msg[512];          /* "FILE:LINE: what is wrong", or "--opt: ..." */
};

struct vm_config {
	/* The device types sections and options may name (the board's). */
	const struct device_type *const *types;
	char *path;             /* the config file, or NULL */
	char *name;
	uint64_t memory;        /* bytes */
	unsigned cpus;
	char *kernel;           /* NULL: the embedded test guest (or the firmware) */
	char *initrd;
	char *cmdline;
	char *firmware;         /* [boot] firmware, --firmware: a UEFI firmware boots instead */
	bool no_reboot;
	bool debug_exit;
	char *kvm_device;       /* default /dev/kvm */
	char *user;             /* [partition] user, --user: run as this user once set up */
	uid_t user_uid;         /* ... its ids, looked up once (config_set_user()) */
	gid_t user_gid;
	bool no_restorer;       /* --no-restorer: the caller gives devices back */
	bool ready_on_guest;    /* [partition] ready-on = guest: READY=1 is the guest's */
	uint8_t uuid[16];       /* [partition] uuid, as written (big-endian fields) */
	bool uuid_set;          /* else derived from the name (core/devices/smbios.c) */
	/* What the guest's CPUID says about its hypervisor: [partition] hyperv
	 * (--hyperv), hypervisor-id and hyperv-vendor-id. */
	bool hyperv;
	enum kvm_hypervisor_id hypervisor_id;   /* DEFAULT: see config_hypervisor() */
	char *hyperv_vendor_id;                 /* NULL: "Microsoft Hv" */

	/* Devices' sections and options, in the order they came. */
	struct device_conf *devices;
	size_t ndevices;

	/* Host resources ([partition], core/resources.h). */
	unsigned *cpu_affinity; /* host CPU of vCPU i, in order; NULL: not pinned */
	unsigned ncpu_affinity;
	enum memory_backing memory_backing;
	bool mlock;
	enum sandbox_mode seccomp;   /* [partition] seccomp, --seccomp */
	bool stats;                  /* --stats: the exit statistics at exit */
	uint64_t started_ns;         /* CLOCK_MONOTONIC when the command started; 0: unknown */
	int numa_node;          /* -1: no binding */
	unsigned shutdown_timeout;

	/* Lines the values came from, for errors found after parsing. */
	int kernel_line, initrd_line, cmdline_line, firmware_line;
	int cpu_affinity_line, memory_backing_line;
	int hyperv_line, hypervisor_id_line, hyperv_vendor_id_line;
};

/* TYPES: the device types sections and options may name, NULL-terminated
 * (board_device_types; NULL for none). */
void config_init(struct vm_config *c, const struct device_type *const *types);
void config_free(struct vm_config *c);

/* Parse PATH into C (which holds defaults or earlier values). Returns 0, or
 * a negative errno with ERR filled in ("PATH:LINE: ..."). */
int config_load(struct vm_config *c, const char *path, struct config_error *err);
/* The same, from a string (tests); NAME is used as the file name. */
int config_load_string(struct vm_config *c, const char *name, const char *text,
		       struct config_error *err);

/* Without [partition] name: the config file's name without ".conf", or
 * "partvm" when there is no file. */
int config_set_default_name(struct vm_config *c);

/* Final checks once command-line overrides are applied: the kernel and
 * initrd exist and are readable, limits hold. */
int config_validate(const struct vm_config *c, struct config_error *err);

/* "512M", "2G", "4096K", "1T"; no suffix means MiB (QEMU's -m). Returns 0 or
 * -EINVAL (not a size) / -ERANGE (overflows). */
int config_parse_size(const char *s, uint64_t *out);
/* yes/no, on/off, true/false, 1/0. Returns 0 or -EINVAL. */
int config_parse_bool(const char *s, bool *out);
/* user = NAME: the name and its ids, looked up here once for the life of
 * the partition; -ENOENT if there is no such user. */
int config_set_user(struct vm_config *c, const char *name);
/* The same from the passwd file PASSWD alone, not through NSS: for a
 * system user, whose absence would otherwise load and ask every NSS
 * module (systemd's userdb among them, 0.75 MiB of the VMM's resident
 * memory for the rest of its life). */
int config_set_user_from_passwd(struct vm_config *c, const char *name, const char *passwd);
/* C's user when partvm is to go on as someone other than who it runs as
 * now (privileges_drop() becomes it, swtpm runs as it); NULL otherwise. */
const char *config_other_user(const struct vm_config *c);
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into its 16 bytes, in the order
 * written. Returns 0 or -EINVAL. */
int config_parse_uuid(const char *s, uint8_t out[16]);
/* A decimal unsigned integer in [min, max]. Returns 0, -EINVAL or -ERANGE. */
int config_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* Setters shared by the config file and the command line, so both apply
 * the same checks. They return 0 or a negative errno with WHY set to a
 * short reason ("must be at least 16M"). */
int config_set_memory(struct vm_config *c, const char *value, const char **why);
int config_set_cpus(struct vm_config *c, const char *value, const char **why);
int config_set_string(char **field, const char *value);
int config_set_cpu_affinity(struct vm_config *c, const char *value, const char **why);
int config_set_memory_backing(struct vm_config *c, const char *value, const char **why);
int config_set_numa_node(struct vm_config *c, const char *value, const char **why);
int config_set_shutdown_timeout(struct vm_config *c, const char *value, const char **why);
int config_set_hypervisor_id(struct vm_config *c, const char *value, const char **why);
int config_set_hyperv_vendor_id(struct vm_config *c, const char *value, const char **why);

/* What C's hypervisor keys come to, the default id resolved (kvm, or
 * hyperv with hyperv = yes): for the vCPUs, the status and PCR 1. */
struct kvm_hypervisor config_hypervisor(const struct vm_config *c);
/* "kvm", "hyperv" or "hide". */
const char *config_hypervisor_id_name(enum kvm_hypervisor_id id);

/* What a device type's key setter gets. */
struct config_ctx {
	struct vm_config *cfg;
	const char *file;       /* the config file as named, or NULL (command line) */
	const char *dir;        /* its directory, for relative paths; NULL: none */
	int line;               /* of the key being set (0 on the command line) */
	int header_line;        /* of its section's header */
	/* For messages a setter words itself: *why = ctx->msg. With
	 * WHOLE_MSG the parser prints it as it is, after "FILE:LINE: ". */
	char msg[384];
	bool whole_msg;
};

/* Set *FIELD to VALUE, relative to the config file's directory. */
int config_set_path(const struct config_ctx *ctx, char **field, const char *value,
		    const char **why);

/* --OPTION KEY=VALUE[,KEY=VALUE...] (--net tap=t0,queues=2): each item
 * to SET in the order given, as a config file's key goes to its setter.
 * An item without '=' is refused with *WHY = USAGE. Returns 0, or the
 * first failure's negative errno with *WHY set. */
int config_parse_items(const char *arg,
		       int (*set)(void *conf, const char *key, const char *value, const char **why),
		       void *conf, const char *usage, const char **why);

/* The type named NAME among C's types, or NULL. */
const struct device_type *config_find_type(const struct vm_config *c, const char *name);
/* --OPTION ARG for a device type (TYPE->option): parse it into a new conf
 * (or the type's one conf for a singleton). Returns 0 or -errno with
 * *WHY set. */
int config_add_option(struct vm_config *c, const struct device_type *type, const char *arg,
		      const char **why);
/* The conf of a singleton TYPE, made empty when C has none yet; NULL
 * only when out of memory. */
void *config_singleton(struct vm_config *c, const struct device_type *type);

/* "FILE:LINE: " for something set at LINE of C's file; "" for the command
 * line. */
const char *config_where(const struct vm_config *c, int line, char *buf, size_t len);
/* Is PATH a readable regular file? 0, or -errno with ERR set to
 * "WHERE WHAT 'PATH': why". */
int config_check_readable(const struct vm_config *c, int line, const char *what, const char *path,
			  struct config_error *err);

#endif
