/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host resources a partition asks for in [partition]: one host CPU per
 * vCPU thread (cpu-affinity) with the VMM's other threads on the remaining
 * CPUs, the backing of guest RAM (memory-backing = anonymous | hugetlb |
 * hugetlb-1g), locking it (mlock) and binding it to a NUMA node
 * (numa-node, with mbind).
 *
 * The parsers and host checks are pure and take a sysfs ROOT prefix (see
 * core/sysfs.h) so unit tests can run them on a fake tree;
 * resources_setup() and resources_pin_vcpus() apply a config to a VM and
 * log what failed, naming the key.
 */
#ifndef PARTVM_RESOURCES_H
#define PARTVM_RESOURCES_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vm/memory.h"

struct vm;

/*
 * Parse a CPU list ("2-5", "0,2,4-6") into the CPUs in the order written:
 * vCPU i is pinned to (*OUT)[i]. *OUT is malloc'ed, *N its length.
 * Returns 0, or -EINVAL with WHY set for a malformed list or a CPU named
 * twice, -ERANGE for a CPU at or above CPU_SETSIZE.
 */
int resources_parse_cpu_list(const char *s, unsigned **out, unsigned *n, const char **why);

/* SET as a list, "0-3,6" ("" when empty). Returns 0 or -ENOSPC. */
int resources_format_cpu_set(const cpu_set_t *set, char *buf, size_t len);

/* "anonymous", "hugetlb" (2 MiB pages), "hugetlb-1g"; 0 or -EINVAL. */
int resources_parse_backing(const char *s, enum memory_backing *out);
const char *resources_backing_name(enum memory_backing b);
/* The page size guest RAM must be a multiple of: 4 KiB, 2 MiB or 1 GiB. */
uint64_t resources_backing_page_size(enum memory_backing b);

/*
 * Are there enough free huge pages for SIZE bytes of guest RAM with
 * BACKING, on NUMA node NODE when NODE >= 0? 0 when there are (or when
 * BACKING is anonymous); -ENOMEM with ERR naming the count needed and the
 * count free; -EOPNOTSUPP when the host has no huge pages of that size.
 */
int resources_check_hugepages(const char *root, enum memory_backing b, uint64_t size, int node,
			      char *err, size_t len);

/* Does NUMA node NODE exist and have memory? 0, or -ENXIO with ERR
 * saying which nodes the host has. */
int resources_check_numa_node(const char *root, int node, char *err, size_t len);

/*
 * Once, from vm_create(): check the requested CPUs are ours to use and put
 * the calling (main) thread, and with it every thread created later, on
 * the other allowed CPUs; check huge pages and the NUMA node; map guest
 * RAM; bind it to the node; lock it. Logs what fails. 0 or negative errno.
 */
int resources_setup(struct vm *vm);

/* Every boot, once the vCPU threads run: pin vCPU i to cpu_affinity[i]. */
int resources_pin_vcpus(struct vm *vm);

#endif
