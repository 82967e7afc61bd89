// SPDX-License-Identifier: GPL-2.0-only
#include "core/vm/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/kvm/kvm.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ADD(x, v) __atomic_store_n(&(x), (x) + (v), __ATOMIC_RELAXED)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

uint64_t stats_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

void stats_record_exit(struct vcpu_stats *s, unsigned kind, uint64_t ns)
{
	if (kind >= STATS_KINDS)
		kind = KVM_EXIT_KIND_FAILED;
	ADD(s->exits[kind], 1);
	ADD(s->ns[kind], ns);
}

void stats_record_access(struct vcpu_stats *s, enum stats_bus bus, const char *name, uint64_t base,
			 uint64_t at, uint64_t ns)
{
	/* Open addressing on (bus, base): the same range lands in the same
	 * few slots every time. */
	uint64_t h = (base ^ (uint64_t)bus << 63) * 0x9e3779b97f4a7c15ull;
	unsigned i = (unsigned)(h >> 57) % STATS_SLOTS;
	const char *label = name ? name : "unassigned";

	for (unsigned n = 0; n < STATS_SLOTS; n++, i = (i + 1) % STATS_SLOTS) {
		struct stats_slot *slot = &s->slots[i];
		const char *have = __atomic_load_n(&slot->name, __ATOMIC_ACQUIRE);

		if (!have) {
			slot->base = base;
			slot->bus = (uint8_t)bus;
			STORE(slot->first_ns, at);
			/* Published last: a reader sees a whole slot or none. */
			__atomic_store_n(&slot->name, label, __ATOMIC_RELEASE);
		} else if (slot->base != base || slot->bus != bus || strcmp(have, label)) {
			continue;
		}
		ADD(slot->exits, 1);
		ADD(slot->ns, ns);
		STORE(slot->last_ns, at);
		return;
	}
	ADD(s->unplaced, 1);
}

/* One source summed over the vCPUs. */
struct source {
	const char *name;
	uint64_t base;
	uint8_t bus;
	uint64_t exits, ns, first, last;
};

static int by_exits(const void *a, const void *b)
{
	const struct source *x = a, *y = b;

	return x->exits < y->exits ? 1 : x->exits > y->exits ? -1 : 0;
}

static const char *const kind_names[STATS_KINDS] = {
	[KVM_EXIT_KIND_NONE] = "interrupted", [KVM_EXIT_KIND_IO] = "pio",
	[KVM_EXIT_KIND_MMIO] = "mmio", [KVM_EXIT_KIND_TRIPLE_FAULT] = "triple-fault",
	[KVM_EXIT_KIND_POWEROFF] = "poweroff", [KVM_EXIT_KIND_RESET] = "reset",
	[KVM_EXIT_KIND_FAILED] = "other",
};

static double sec(uint64_t ns)
{
	return (double)ns / 1e9;
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

void stats_mark(struct stats_startup *s, enum stats_phase p, uint64_t start, uint64_t now)
{
	uint64_t none = 0;

	if (p >= STATS_PHASES)
		return;
	/* At least 1: 0 means the phase was not reached. */
	__atomic_compare_exchange_n(&s->at[p], &none, now > start ? now - start : 1, false, __ATOMIC_RELAXED,
				    __ATOMIC_RELAXED);
}

static const char *const phase_names[STATS_PHASES] = {
	[STATS_PHASE_KVM] = "kvm", [STATS_PHASE_RAM] = "ram", [STATS_PHASE_DEVICES] = "devices",
	[STATS_PHASE_VM] = "vm", [STATS_PHASE_VCPUS] = "vcpus", [STATS_PHASE_LOADED] = "loaded",
	[STATS_PHASE_STARTED] = "started", [STATS_PHASE_FIRST_RUN] = "first-run",
};

/* "stats: start-up, ms after the VM's start (N ms before it): kvm 1.200,
 * ram 3.400, ..., first-output 10.900": each phase's end, so a phase's
 * cost is its number minus the one before. */
static void report_startup(FILE *f, const struct stats_startup *s, uint64_t first_output_ns)
{
	unsigned n = 0;

	fprintf(f, "stats: start-up, ms after the VM's start (%.3f ms before it):", ms(s->before_ns));
	for (unsigned p = 0; p < STATS_PHASES; p++) {
		uint64_t at = __atomic_load_n(&s->at[p], __ATOMIC_RELAXED);

		if (at)
			fprintf(f, "%s %s %.3f", n++ ? "," : "", phase_names[p], ms(at));
	}
	if (first_output_ns)
		fprintf(f, "%s first-output %.3f", n ? "," : "", ms(first_output_ns));
	fprintf(f, "\n");
}

char *stats_report(const struct vcpu_stats *const *cpus, unsigned ncpus, const struct stats_startup *startup,
		   uint64_t elapsed_ns, uint64_t first_output_ns, unsigned top)
{
	struct source *src = calloc((size_t)ncpus * STATS_SLOTS, sizeof(*src));
	uint64_t exits[STATS_KINDS] = { 0 }, ns[STATS_KINDS] = { 0 }, run = 0, total = 0, unplaced = 0;
	size_t nsrc = 0, len = 0;
	char *text = NULL;
	FILE *f;

	if (!src)
		return NULL;
	f = open_memstream(&text, &len);
	if (!f) {
		free(src);
		return NULL;
	}
	for (unsigned c = 0; c < ncpus; c++) {
		const struct vcpu_stats *s = cpus[c];

		run += LOAD(s->run_ns);
		unplaced += LOAD(s->unplaced);
		for (unsigned k = 0; k < STATS_KINDS; k++) {
			exits[k] += LOAD(s->exits[k]);
			ns[k] += LOAD(s->ns[k]);
		}
		for (unsigned i = 0; i < STATS_SLOTS; i++) {
			const struct stats_slot *slot = &s->slots[i];
			const char *name = __atomic_load_n(&slot->name, __ATOMIC_ACQUIRE);
			size_t j;

			if (!name)
				continue;
			for (j = 0; j < nsrc; j++)
				if (src[j].base == slot->base && src[j].bus == slot->bus &&
				    !strcmp(src[j].name, name))
					break;
			if (j == nsrc)
				src[nsrc++] = (struct source){ .name = name, .base = slot->base, .bus = slot->bus,
							       .first = UINT64_MAX };
			src[j].exits += LOAD(slot->exits);
			src[j].ns += LOAD(slot->ns);
			if (LOAD(slot->first_ns) < src[j].first)
				src[j].first = LOAD(slot->first_ns);
			if (LOAD(slot->last_ns) > src[j].last)
				src[j].last = LOAD(slot->last_ns);
		}
	}
	for (unsigned k = 0; k < STATS_KINDS; k++)
		total += exits[k];
	fprintf(f, "stats: %.3f s since start, %u vCPU(s): %.3f s inside KVM_RUN (summed), %llu exits\n",
		sec(elapsed_ns), ncpus, sec(run), (unsigned long long)total);
	if (first_output_ns)
		fprintf(f, "stats: the guest's first console output at %.3f s\n", sec(first_output_ns));
	if (startup)
		report_startup(f, startup, first_output_ns);
	fprintf(f, "stats: exits by kind (count, handler time):");
	for (unsigned k = 0, n = 0; k < STATS_KINDS; k++)
		if (exits[k])
			fprintf(f, "%s %s %llu %.3f s", n++ ? "," : "", kind_names[k] ? kind_names[k] : "?",
				(unsigned long long)exits[k], sec(ns[k]));
	fprintf(f, "\n");
	qsort(src, nsrc, sizeof(*src), by_exits);
	fprintf(f, "stats: top %u exit sources (exits, handler time, first and last at):\n",
		top < nsrc ? top : (unsigned)nsrc);
	for (size_t j = 0; j < nsrc && j < top; j++)
		fprintf(f, "stats:   %-4s %-14s %#10llx %9llu %8.3f s  %8.3f s %8.3f s\n",
			src[j].bus == STATS_PIO ? "pio" : "mmio", src[j].name,
			(unsigned long long)src[j].base, (unsigned long long)src[j].exits, sec(src[j].ns),
			sec(src[j].first), sec(src[j].last));
	if (unplaced)
		fprintf(f, "stats: %llu exits from sources past the table's %u slots per vCPU\n",
			(unsigned long long)unplaced, STATS_SLOTS);
	free(src);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
