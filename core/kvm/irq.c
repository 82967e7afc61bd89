// SPDX-License-Identifier: GPL-2.0-only
/*
 * Interrupts into the guest: IRQ lines of the in-kernel IOAPIC/PIC, the
 * GSI routing table, and irqfds.
 *
 * KVM_SET_GSI_ROUTING replaces the whole table, so the layer keeps it and
 * every change is made and committed under routing_lock: devices on
 * different threads (vfio config writes, virtio MSI-X table writes) never
 * commit each other's half-made tables. KVM swaps tables under RCU, so an
 * irqfd on a GSI whose route changes fires through the old route or the
 * new one, never through none. MSI routes take the lowest free GSI from
 * 24 up and give it back when removed, so a guest that enables and
 * disables MSI in a loop never grows the table.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/kvm/internal.h"

/* KVM_MAX_IRQ_ROUTES on x86, when the capability does not say. */
#define DEFAULT_MAX_ROUTES 4096

int kvm_set_irq_line(struct kvm *k, unsigned gsi, bool level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	if (k->vm_fd < 0)
		return -ENODEV;
	if (ioctl(k->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		return -errno;
	return 0;
}

static unsigned max_routes(const struct kvm *k)
{
	return k->max_routes ? k->max_routes : DEFAULT_MAX_ROUTES;
}

static int table_add(struct kvm *k, const struct kvm_irq_routing_entry *e)
{
	struct kvm_irq_routing *t = k->routing;

	if (t && t->nr >= max_routes(k))
		return -ENOSPC;
	if (!t || t->nr == k->routing_cap) {
		unsigned cap = k->routing_cap ? k->routing_cap * 2 : 64;
		struct kvm_irq_routing *n = realloc(t, sizeof(*n) + cap * sizeof(n->entries[0]));

		if (!n)
			return -ENOMEM;
		if (!t)
			n->nr = 0;
		n->flags = 0;
		k->routing = t = n;
		k->routing_cap = cap;
	}
	t->entries[t->nr++] = *e;
	return 0;
}

static struct kvm_irq_routing_entry *find_msi(struct kvm *k, uint32_t gsi)
{
	struct kvm_irq_routing *t = k->routing;

	for (unsigned i = 0; t && i < t->nr; i++)
		if (t->entries[i].gsi == gsi && t->entries[i].type == KVM_IRQ_ROUTING_MSI)
			return &t->entries[i];
	return NULL;
}

static void table_remove(struct kvm *k, struct kvm_irq_routing_entry *e)
{
	struct kvm_irq_routing *t = k->routing;

	*e = t->entries[--t->nr];
}

static int commit(struct kvm *k)
{
	if (k->vm_fd < 0)
		return -ENODEV;
	if (ioctl(k->vm_fd, KVM_SET_GSI_ROUTING, k->routing) < 0)
		return -errno;
	return 0;
}

static int add_irqchip(struct kvm *k, uint32_t gsi, uint32_t chip, uint32_t pin)
{
	struct kvm_irq_routing_entry e = {
		.gsi = gsi,
		.type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = { .irqchip = chip, .pin = pin },
	};
	return table_add(k, &e);
}

/* As a PC wires it: ISA IRQs 0-15 to the PICs and the IOAPIC, the PIT's
 * IRQ0 to IOAPIC pin 2 (the MADT says so with an interrupt source
 * override), and IOAPIC pins 16-23 for PCI INTx. */
int kvm_routing_reset(struct kvm *k)
{
	int r = 0;

	pthread_mutex_lock(&k->routing_lock);
	if (k->routing)
		k->routing->nr = 0;
	if (k->msi_gsi_used)
		memset(k->msi_gsi_used, 0, k->msi_gsi_words * sizeof(uint64_t));
	for (unsigned i = 0; i < 16 && r == 0; i++) {
		if (i == 2)
			continue;   /* the cascade */
		r = add_irqchip(k, i, i < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE, i % 8);
	}
	for (unsigned i = 0; i < KVM_FIRST_MSI_GSI && r == 0; i++) {
		if (i == 0)
			r = add_irqchip(k, 0, KVM_IRQCHIP_IOAPIC, 2);
		else if (i != 2)
			r = add_irqchip(k, i, KVM_IRQCHIP_IOAPIC, i);
	}
	if (r == 0)
		r = commit(k);
	pthread_mutex_unlock(&k->routing_lock);
	return r;
}

/* The lowest free MSI GSI, marked used; -ENOSPC when none is left. */
static int gsi_alloc(struct kvm *k, uint32_t *gsi)
{
	unsigned limit = max_routes(k);

	for (unsigned w = 0;; w++) {
		if (w == k->msi_gsi_words) {
			unsigned n = k->msi_gsi_words ? k->msi_gsi_words * 2 : 1;
			uint64_t *m = reallocarray(k->msi_gsi_used, n, sizeof(*m));

			if (!m)
				return -ENOMEM;
			memset(m + k->msi_gsi_words, 0, (n - k->msi_gsi_words) * sizeof(*m));
			k->msi_gsi_used = m;
			k->msi_gsi_words = n;
		}
		if (k->msi_gsi_used[w] == ~0ULL)
			continue;
		unsigned bit = (unsigned)__builtin_ctzll(~k->msi_gsi_used[w]);
		unsigned g = KVM_FIRST_MSI_GSI + w * 64 + bit;

		if (g >= limit)
			return -ENOSPC;
		k->msi_gsi_used[w] |= 1ULL << bit;
		*gsi = g;
		return 0;
	}
}

static void gsi_free(struct kvm *k, uint32_t gsi)
{
	unsigned i = gsi - KVM_FIRST_MSI_GSI;

	if (gsi >= KVM_FIRST_MSI_GSI && i / 64 < k->msi_gsi_words)
		k->msi_gsi_used[i / 64] &= ~(1ULL << (i % 64));
}

int kvm_msi_route_add(struct kvm *k, uint64_t addr, uint32_t data, uint32_t *gsi)
{
	struct kvm_irq_routing_entry e = {
		.type = KVM_IRQ_ROUTING_MSI,
		.u.msi = { .address_lo = (uint32_t)addr, .address_hi = addr >> 32, .data = data },
	};
	int r;

	pthread_mutex_lock(&k->routing_lock);
	r = gsi_alloc(k, &e.gsi);
	if (r == 0) {
		r = table_add(k, &e);
		if (r == 0)
			r = commit(k);
		if (r < 0) {
			struct kvm_irq_routing_entry *added = find_msi(k, e.gsi);

			if (added)
				table_remove(k, added);
			gsi_free(k, e.gsi);
		}
	}
	pthread_mutex_unlock(&k->routing_lock);
	if (r == 0)
		*gsi = e.gsi;
	return r;
}

int kvm_msi_route_update(struct kvm *k, uint32_t gsi, uint64_t addr, uint32_t data)
{
	struct kvm_irq_routing_entry *e, old;
	int r = -ENOENT;

	pthread_mutex_lock(&k->routing_lock);
	e = find_msi(k, gsi);
	if (e) {
		old = *e;
		e->u.msi.address_lo = (uint32_t)addr;
		e->u.msi.address_hi = addr >> 32;
		e->u.msi.data = data;
		r = commit(k);
		if (r < 0)
			*e = old;
	}
	pthread_mutex_unlock(&k->routing_lock);
	return r;
}

int kvm_msi_route_remove(struct kvm *k, uint32_t gsi)
{
	struct kvm_irq_routing_entry *e;
	int r = -ENOENT;

	pthread_mutex_lock(&k->routing_lock);
	e = find_msi(k, gsi);
	if (e) {
		table_remove(k, e);
		gsi_free(k, gsi);
		/* Without the VM fd there is nothing to tell KVM. */
		r = k->vm_fd >= 0 ? commit(k) : 0;
	}
	pthread_mutex_unlock(&k->routing_lock);
	return r;
}

unsigned kvm_msi_route_count(struct kvm *k)
{
	unsigned n = 0;

	pthread_mutex_lock(&k->routing_lock);
	for (unsigned i = 0; k->routing && i < k->routing->nr; i++)
		n += k->routing->entries[i].type == KVM_IRQ_ROUTING_MSI;
	pthread_mutex_unlock(&k->routing_lock);
	return n;
}

int kvm_irqfd_assign(struct kvm *k, int fd, uint32_t gsi, int resample_fd)
{
	struct kvm_irqfd i = {
		.fd = (uint32_t)fd,
		.gsi = gsi,
		.flags = resample_fd >= 0 ? KVM_IRQFD_FLAG_RESAMPLE : 0,
		.resamplefd = resample_fd >= 0 ? (uint32_t)resample_fd : 0,
	};

	if (k->vm_fd < 0)
		return -ENODEV;
	if (ioctl(k->vm_fd, KVM_IRQFD, &i) < 0)
		return -errno;
	return 0;
}

int kvm_irqfd_deassign(struct kvm *k, int fd, uint32_t gsi)
{
	struct kvm_irqfd i = { .fd = (uint32_t)fd, .gsi = gsi, .flags = KVM_IRQFD_FLAG_DEASSIGN };

	if (k->vm_fd < 0)
		return -ENODEV;
	if (ioctl(k->vm_fd, KVM_IRQFD, &i) < 0)
		return -errno;
	return 0;
}
