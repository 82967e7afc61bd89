// SPDX-License-Identifier: GPL-2.0-only
#include "core/vm/resources.h"

#include <ctype.h>
#include <errno.h>
#include <linux/mempolicy.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/log.h"
#include "core/util/sysfs.h"
#include "core/vm/layout.h"
#include "core/vm/vm.h"

#define SYSFS_NODES "/sys/devices/system/node"
#define SYSFS_HUGEPAGES "/sys/kernel/mm/hugepages"

/* Walk a kernel-style list ("0-3,6"), calling FN for each number in the
 * order written. The same syntax as cpuset(7)'s "List format". */
static int walk_list(const char *s, int (*fn)(unsigned v, void *ud), void *ud, const char **why)
{
	const char *p = s;

	if (!*p) {
		*why = "empty list";
		return -EINVAL;
	}
	for (;;) {
		unsigned long a, b;
		char *end;
		int r;

		if (!isdigit((unsigned char)*p)) {
			*why = "expected a number (a list such as 2-5 or 0,2,4-6)";
			return -EINVAL;
		}
		errno = 0;
		a = b = strtoul(p, &end, 10);
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p)) {
				*why = "a range needs an end (2-5)";
				return -EINVAL;
			}
			b = strtoul(p, &end, 10);
			p = end;
		}
		if (errno == ERANGE || a >= CPU_SETSIZE || b >= CPU_SETSIZE) {
			*why = "numbers must be below 1024 (CPU_SETSIZE)";
			return -ERANGE;
		}
		if (b < a) {
			*why = "a range runs from low to high (2-5, not 5-2)";
			return -EINVAL;
		}
		for (unsigned long v = a; v <= b; v++) {
			r = fn((unsigned)v, ud);
			if (r < 0) {
				*why = "a CPU is named twice";
				return r;
			}
		}
		if (!*p)
			return 0;
		if (*p != ',') {
			*why = "expected ',' between numbers and ranges";
			return -EINVAL;
		}
		p++;
	}
}

struct cpu_list {
	cpu_set_t seen;
	unsigned *cpus;
	unsigned n;
};

static int add_cpu(unsigned v, void *ud)
{
	struct cpu_list *l = ud;

	if (CPU_ISSET(v, &l->seen))
		return -EINVAL;
	CPU_SET(v, &l->seen);
	l->cpus[l->n++] = v;
	return 0;
}

int resources_parse_cpu_list(const char *s, unsigned **out, unsigned *n, const char **why)
{
	struct cpu_list l = { .n = 0 };
	int r;

	CPU_ZERO(&l.seen);
	/* Each CPU at most once, so CPU_SETSIZE entries always suffice. */
	l.cpus = calloc(CPU_SETSIZE, sizeof(*l.cpus));
	if (!l.cpus)
		return -ENOMEM;
	r = walk_list(s, add_cpu, &l, why);
	if (r < 0) {
		free(l.cpus);
		return r;
	}
	*out = l.cpus;
	*n = l.n;
	return 0;
}

static int add_to_set(unsigned v, void *ud)
{
	CPU_SET(v, (cpu_set_t *)ud);
	return 0;
}

/* A list the kernel wrote (node/online, has_memory) into SET. */
static int parse_set(const char *s, cpu_set_t *set)
{
	const char *why;

	CPU_ZERO(set);
	if (!*s)
		return 0;
	return walk_list(s, add_to_set, set, &why);
}

int resources_format_cpu_set(const cpu_set_t *set, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	for (unsigned a = 0; a < CPU_SETSIZE; a++) {
		unsigned b = a;
		int n;

		if (!CPU_ISSET(a, set))
			continue;
		while (b + 1 < CPU_SETSIZE && CPU_ISSET(b + 1, set))
			b++;
		if (a == b)
			n = snprintf(buf + off, len - off, "%s%u", off ? "," : "", a);
		else
			n = snprintf(buf + off, len - off, "%s%u-%u", off ? "," : "", a, b);
		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += (size_t)n;
		a = b;
	}
	return 0;
}

static const char *const backing_names[] = {
	[MEMORY_BACKING_ANONYMOUS] = "anonymous",
	[MEMORY_BACKING_HUGETLB] = "hugetlb",
	[MEMORY_BACKING_HUGETLB_1G] = "hugetlb-1g",
};

int resources_parse_backing(const char *s, enum memory_backing *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(backing_names); i++) {
		if (!strcmp(s, backing_names[i])) {
			*out = (enum memory_backing)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *resources_backing_name(enum memory_backing b)
{
	return (size_t)b < ARRAY_SIZE(backing_names) ? backing_names[b] : "?";
}

uint64_t resources_backing_page_size(enum memory_backing b)
{
	switch (b) {
	case MEMORY_BACKING_HUGETLB:
		return SZ_2M;
	case MEMORY_BACKING_HUGETLB_1G:
		return SZ_1G;
	default:
		return 4096;
	}
}

static const char *page_label(uint64_t page)
{
	return page == SZ_1G ? "1 GiB" : "2 MiB";
}

int resources_check_hugepages(const char *root, enum memory_backing b, uint64_t size, int node,
			      char *err, size_t len)
{
	uint64_t page = resources_backing_page_size(b), need, nfree, resv = 0, avail;
	const char *name = resources_backing_name(b);
	char dir[128], path[192];
	int r;

	if (b == MEMORY_BACKING_ANONYMOUS)
		return 0;
	need = (size + page - 1) / page;
	snprintf(dir, sizeof(dir), SYSFS_HUGEPAGES "/hugepages-%llukB", (unsigned long long)(page >> 10));
	snprintf(path, sizeof(path), "%s/free_hugepages", dir);
	r = sysfs_read_u64(root, path, &nfree);
	if (r == -ENOENT) {
		snprintf(err, len, "memory-backing = %s: this host has no %s huge pages (%s%s is missing)",
			 name, page_label(page), root, dir);
		return -EOPNOTSUPP;
	}
	if (r < 0) {
		snprintf(err, len, "memory-backing = %s: cannot read %s%s: %s", name, root, path, strerror(-r));
		return r;
	}
	/* Pages reserved by other mappings are free but promised. */
	snprintf(path, sizeof(path), "%s/resv_hugepages", dir);
	if (sysfs_read_u64(root, path, &resv) < 0)
		resv = 0;
	avail = nfree > resv ? nfree - resv : 0;
	if (avail < need) {
		snprintf(err, len,
			 "memory-backing = %s: %llu MiB of guest RAM needs %llu free %s huge pages, "
			 "the host has %llu (free_hugepages %llu, resv_hugepages %llu in %s%s); reserve "
			 "more with [hugepages] in /etc/partvm/host.conf or sysctl vm.nr_hugepages",
			 name, (unsigned long long)(size >> 20), (unsigned long long)need, page_label(page),
			 (unsigned long long)avail, (unsigned long long)nfree, (unsigned long long)resv,
			 root, dir);
		return -ENOMEM;
	}
	if (node < 0)
		return 0;
	snprintf(path, sizeof(path), SYSFS_NODES "/node%d/hugepages/hugepages-%llukB/free_hugepages", node,
		 (unsigned long long)(page >> 10));
	r = sysfs_read_u64(root, path, &nfree);
	if (r < 0) {
		snprintf(err, len, "memory-backing = %s, numa-node = %d: cannot read %s%s: %s", name, node,
			 root, path, strerror(-r));
		return r;
	}
	if (nfree < need) {
		snprintf(err, len,
			 "memory-backing = %s: %llu MiB of guest RAM needs %llu free %s huge pages on "
			 "NUMA node %d (numa-node), the node has %llu; reserve more in %s%s/node%d/hugepages",
			 name, (unsigned long long)(size >> 20), (unsigned long long)need, page_label(page),
			 node, (unsigned long long)nfree, root, SYSFS_NODES, node);
		return -ENOMEM;
	}
	return 0;
}

int resources_check_numa_node(const char *root, int node, char *err, size_t len)
{
	char online[256], mem[256], list[256];
	cpu_set_t set;

	if (sysfs_read(root, SYSFS_NODES "/online", online, sizeof(online)) < 0 ||
	    parse_set(online, &set) < 0) {
		snprintf(err, len, "numa-node = %d: this host reports no NUMA nodes (%s%s/online)", node, root,
			 SYSFS_NODES);
		return -ENXIO;
	}
	if (node >= CPU_SETSIZE || !CPU_ISSET(node, &set)) {
		resources_format_cpu_set(&set, list, sizeof(list));
		snprintf(err, len, "numa-node = %d: no such NUMA node; this host has node(s) %s", node, list);
		return -ENXIO;
	}
	if (sysfs_read(root, SYSFS_NODES "/has_memory", mem, sizeof(mem)) >= 0 && parse_set(mem, &set) == 0 &&
	    !CPU_ISSET(node, &set)) {
		resources_format_cpu_set(&set, list, sizeof(list));
		snprintf(err, len, "numa-node = %d: NUMA node %d has no memory (nodes with memory: %s)", node,
			 node, list);
		return -ENXIO;
	}
	return 0;
}

/* Keep the main thread, and every thread it starts later (vCPUs until
 * they are pinned, helpers), off the CPUs the vCPUs get. */
static int pin_housekeeping(const struct vm_config *cfg)
{
	cpu_set_t allowed, rest;
	char list[512];

	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		return log_error_errno(-errno, "cpu-affinity: cannot read the CPUs partvm may run on: %m");
	rest = allowed;
	for (unsigned i = 0; i < cfg->ncpu_affinity; i++) {
		unsigned cpu = cfg->cpu_affinity[i];

		if (!CPU_ISSET(cpu, &allowed)) {
			resources_format_cpu_set(&allowed, list, sizeof(list));
			return log_error_errno(-EINVAL,
					       "cpu-affinity: host CPU %u (for vcpu %u) is not available to "
					       "partvm, which may use CPUs %s (AllowedCPUs= of partvm.slice, "
					       "taskset, or offline CPUs)", cpu, i, list);
		}
		CPU_CLR(cpu, &rest);
	}
	if (CPU_COUNT(&rest) == 0) {
		resources_format_cpu_set(&allowed, list, sizeof(list));
		log_notice("cpu-affinity: the vCPUs take every CPU partvm may use (%s); "
			   "its other threads share them", list);
		return 0;
	}
	if (sched_setaffinity(0, sizeof(rest), &rest) < 0)
		return log_error_errno(-errno, "cpu-affinity: cannot move partvm's own threads: %m");
	resources_format_cpu_set(&rest, list, sizeof(list));
	log_info("cpu-affinity: housekeeping threads on host CPUs %s", list);
	return 0;
}

static int bind_node(struct guest_memory *m, int node)
{
	/* A mask of CPU_SETSIZE node bits; the kernel reads maxnode - 1 bits
	 * (mbind(2) NOTES), hence the + 1. */
	unsigned long mask[CPU_SETSIZE / (8 * sizeof(unsigned long))] = { 0 };

	mask[node / (8 * sizeof(unsigned long))] |= 1UL << (node % (8 * sizeof(unsigned long)));
	if (syscall(SYS_mbind, m->host, m->host_size, MPOL_BIND, mask, (unsigned long)CPU_SETSIZE + 1, 0) < 0)
		return -errno;
	return 0;
}

static void format_limit(rlim_t v, char *buf, size_t len)
{
	if (v == RLIM_INFINITY)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu KiB", (unsigned long long)(v >> 10));
}

int resources_setup(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	const char *root = partvm_sysfs_root();
	unsigned long long mib = cfg->memory >> 20;
	char err[768];
	int r;

	if (cfg->ncpu_affinity) {
		r = pin_housekeeping(cfg);
		if (r < 0)
			return r;
	}
	if (cfg->numa_node >= 0) {
		r = resources_check_numa_node(root, cfg->numa_node, err, sizeof(err));
		if (r < 0)
			return log_error_errno(r, "%s", err);
	}
	r = resources_check_hugepages(root, cfg->memory_backing, cfg->memory, cfg->numa_node, err, sizeof(err));
	if (r < 0)
		return log_error_errno(r, "%s", err);

	r = memory_map(&vm->mem, cfg->memory, cfg->memory_backing,
		       cfg->firmware ? LAYOUT_FIRMWARE : LAYOUT_DIRECT_BOOT);
	if (r < 0)
		return log_error_errno(r, "cannot allocate %llu MiB of guest RAM (memory-backing = %s): %m", mib,
				       resources_backing_name(cfg->memory_backing));
	/* Before anything touches the RAM, so every page comes from NODE. */
	if (cfg->numa_node >= 0) {
		r = bind_node(&vm->mem, cfg->numa_node);
		if (r < 0)
			return log_error_errno(r, "numa-node = %d: cannot bind guest RAM with mbind: %m",
					       cfg->numa_node);
	}
	if (cfg->mlock) {
		if (mlock(vm->mem.host, vm->mem.host_size) < 0) {
			struct rlimit rl = { 0, 0 };
			char lim[32];

			r = -errno;
			getrlimit(RLIMIT_MEMLOCK, &rl);
			format_limit(rl.rlim_cur, lim, sizeof(lim));
			return log_error_errno(r, "mlock = yes: cannot lock %llu MiB of guest RAM: %m "
					       "(RLIMIT_MEMLOCK is %s; partvm@.service sets LimitMEMLOCK=infinity)",
					       mib, lim);
		}
		/* Locked pages cannot be dropped with MADV_DONTNEED: a reset
		 * must clear them in place. */
		vm->mem.pinned = true;
	}
	return 0;
}

int resources_pin_vcpus(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;

	for (unsigned i = 0; i < vm->ncpus && i < cfg->ncpu_affinity; i++) {
		cpu_set_t set;
		int r;

		CPU_ZERO(&set);
		CPU_SET(cfg->cpu_affinity[i], &set);
		r = pthread_setaffinity_np(vm->vcpus[i].thread, sizeof(set), &set);
		if (r)
			return log_error_errno(-r, "vcpu %u: cannot pin to host CPU %u (cpu-affinity): %m", i,
					       cfg->cpu_affinity[i]);
	}
	return 0;
}
