/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A partition's configuration: one INI file per partition (parsed with
 * inih), overridden by command-line options. Every error carries the file
 * and line it came from so the user gets "FILE:LINE: what is wrong".
 */
#ifndef PARTVM_CONFIG_H
#define PARTVM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vm/memory.h"
#include "sriov/sriov.h"

#define CONFIG_MIN_MEMORY   (16ULL << 20)
#define CONFIG_MAX_MEMORY   (1ULL << 40)
/* Static bound; the host's KVM_CAP_MAX_VCPUS is checked when the VM is made. */
#define CONFIG_MAX_CPUS     1024
#define CONFIG_DEFAULT_MEMORY (256ULL << 20)
/* Seconds SIGTERM waits for the guest to power off after the ACPI power
 * button, before stopping it; partvm@.service's TimeoutStopSec is above. */
#define CONFIG_DEFAULT_SHUTDOWN_TIMEOUT 30
#define CONFIG_MAX_SHUTDOWN_TIMEOUT 3600

struct config_error {
	char msg[512];          /* "FILE:LINE: what is wrong", or "--opt: ..." */
};

/* A host PCI device passed through with VFIO: a [vfio] section or --vfio. */
struct vfio_config_device {
	char bdf[16];           /* canonical DDDD:BB:DD.F; "" until the section names it */
	bool managed;           /* bind to vfio-pci at start, restore at exit (default) */
	char *rom;              /* expansion ROM image, or NULL for the device's own */
	int line;               /* of the section's header; 0 for --vfio */
};

struct vm_config {
	char *path;             /* the config file, or NULL */
	char *name;
	uint64_t memory;        /* bytes */
	unsigned cpus;
	char *kernel;           /* NULL: the embedded test guest */
	char *initrd;
	char *cmdline;
	bool no_reboot;
	bool debug_exit;
	char *kvm_device;       /* default /dev/kvm */
	char *tpm_state;        /* [tpm] state: the vTPM's state directory */

	/* Passthrough: [vfio] sections and --vfio, then [sriov "NAME"] pools. */
	struct vfio_config_device *vfio;
	size_t nvfio;
	struct sriov_pool_requests sriov;

	/* Host resources ([partition], core/resources.h). */
	unsigned *cpu_affinity; /* host CPU of vCPU i, in order; NULL: not pinned */
	unsigned ncpu_affinity;
	enum memory_backing memory_backing;
	bool mlock;
	int numa_node;          /* -1: no binding */
	unsigned shutdown_timeout;

	/* Lines the values came from, for errors found after parsing. */
	int kernel_line, initrd_line, tpm_state_line;
	int cpu_affinity_line, memory_backing_line;
};

void config_init(struct vm_config *c);
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

/* --vfio SPEC: "BDF[,managed=yes|no][,rom=FILE]", appended to C's devices. */
int config_add_vfio(struct vm_config *c, const char *spec, const char **why);

#endif
