/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where a boot's time goes, from partvm's side: per vCPU, the time inside
 * KVM_RUN, exits by kind, and for PIO/MMIO exits the device range that
 * took them (its name on the bus, or "unassigned"), with the handler time
 * and when the guest first and last touched it. Counters only, no logging
 * per exit, so they are always on; `partvm run --stats` prints them at
 * exit and the control socket's `stats` at any time.
 *
 * Each vCPU thread writes only its own struct vcpu_stats; readers (the
 * report) load the counters with relaxed atomics while it runs.
 */
#ifndef PARTVM_VM_STATS_H
#define PARTVM_VM_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATS_SLOTS 128
#define STATS_KINDS 8

enum stats_bus { STATS_PIO, STATS_MMIO };

struct stats_slot {
	const char *name;          /* the bus range's name; NULL: slot free */
	uint64_t base;             /* the range's base (unassigned: the port or page) */
	uint8_t bus;               /* enum stats_bus */
	uint64_t exits, ns;        /* exits and the time their handlers took */
	uint64_t first_ns, last_ns;  /* since the VM's start */
};

struct vcpu_stats {
	uint64_t run_ns;                   /* inside KVM_RUN */
	uint64_t exits[STATS_KINDS];       /* by enum kvm_exit_kind */
	uint64_t ns[STATS_KINDS];          /* handler time by kind */
	uint64_t unplaced;                 /* exits whose source found no free slot */
	struct stats_slot slots[STATS_SLOTS];
};

/* Where start-up goes: each phase's end, ns after the VM's start, taken
 * on the first boot only (a reboot's are not start-up). BEFORE_NS is
 * what the command did before it started the VM (options, config, the
 * kernel's checks). */
enum stats_phase {
	STATS_PHASE_KVM,          /* /dev/kvm opened, its capabilities read */
	STATS_PHASE_RAM,          /* guest RAM allocated (backing, NUMA, mlock) */
	STATS_PHASE_DEVICES,      /* threads, buses, devices created */
	STATS_PHASE_VM,           /* the KVM VM with its memory slots */
	STATS_PHASE_VCPUS,        /* vCPUs created */
	STATS_PHASE_LOADED,       /* ACPI tables and the kernel in guest RAM */
	STATS_PHASE_STARTED,      /* devices attached, vCPU threads started */
	STATS_PHASE_FIRST_RUN,    /* a vCPU entered KVM_RUN */
	STATS_PHASES
};

struct stats_startup {
	uint64_t before_ns;
	uint64_t at[STATS_PHASES];     /* 0: not reached */
};

/* Nanoseconds of CLOCK_MONOTONIC. */
uint64_t stats_now_ns(void);

/* Phase P ended at NOW (CLOCK_MONOTONIC), START being the VM's start; only
 * the first mark of a phase counts. Any thread. */
void stats_mark(struct stats_startup *s, enum stats_phase p, uint64_t start, uint64_t now);

/* One PIO/MMIO exit of NS ns, AT ns after the VM's start, taken by the
 * range NAME at BASE on BUS (NAME NULL: nothing decodes it; BASE is then
 * the port, or the address's page). */
void stats_record_access(struct vcpu_stats *s, enum stats_bus bus, const char *name, uint64_t base,
			 uint64_t at, uint64_t ns);
/* Any exit, by kind, with its handler time. */
void stats_record_exit(struct vcpu_stats *s, unsigned kind, uint64_t ns);

/* The report of NCPUS vCPUs' stats: the start-up phases (STARTUP, may be
 * NULL), the totals, the exits by kind and the TOP sources by exits.
 * ELAPSED_NS since start, FIRST_OUTPUT_NS the guest's first console byte
 * (0: none). Returns a malloc'd text of lines starting with "stats: ", or
 * NULL without memory. */
char *stats_report(const struct vcpu_stats *const *cpus, unsigned ncpus, const struct stats_startup *startup,
		   uint64_t elapsed_ns, uint64_t first_output_ns, unsigned top);

#endif
