// SPDX-License-Identifier: GPL-2.0-only
#include "core/vm/msi.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/kvm/kvm.h"

enum { ADDR_LO, ADDR_HI, DATA, CTRL };

int msi_vectors_open(struct msi_vector *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		v[i] = (struct msi_vector){ .efd = -1 };
	for (unsigned i = 0; i < n; i++) {
		v[i].efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (v[i].efd < 0)
			return -errno;
	}
	return 0;
}

void msi_vectors_close(struct msi_vector *v, unsigned n)
{
	for (unsigned i = 0; v && i < n; i++) {
		if (v[i].efd >= 0)
			close(v[i].efd);
		v[i].efd = -1;
	}
}

/* Give V a route to its current message (a new GSI the first time). */
static int route(struct kvm *k, struct msi_vector *v)
{
	int r;

	if (v->gsi && v->routed_addr == v->addr && v->routed_data == v->data)
		return 0;
	if (!v->gsi)
		r = kvm_msi_route_add(k, v->addr, v->data, &v->gsi);
	else
		r = kvm_msi_route_update(k, v->gsi, v->addr, v->data);
	if (r == 0) {
		v->routed_addr = v->addr;
		v->routed_data = v->data;
	}
	return r;
}

int msi_vector_update(struct kvm *k, struct msi_vector *v, bool live)
{
	uint64_t count = 0;
	bool waited;
	int r;

	if (!kvm_vm_exists(k))
		return -ENODEV;
	if (!live) {
		if (v->irqfd) {
			r = kvm_irqfd_deassign(k, v->efd, v->gsi);
			if (r < 0)
				return r;
			v->irqfd = false;
		}
		return 0;
	}
	r = route(k, v);
	if (r < 0 || v->irqfd)
		return r;
	/* What arrived while masked was pending: collect it, attach the
	 * irqfd, and hand it over as one interrupt. */
	waited = read(v->efd, &count, sizeof(count)) == sizeof(count) && count;
	r = kvm_irqfd_assign(k, v->efd, v->gsi, -1);
	if (r < 0)
		return r;
	v->irqfd = true;
	if (waited)
		msi_vector_fire(v);
	return 0;
}

void msi_vector_release(struct kvm *k, struct msi_vector *v)
{
	if (v->irqfd)
		(void)kvm_irqfd_deassign(k, v->efd, v->gsi);
	if (v->gsi)
		(void)kvm_msi_route_remove(k, v->gsi);
	v->gsi = 0;
	v->irqfd = false;
	v->routed_addr = 0;
	v->routed_data = 0;
}

bool msi_vector_pending(const struct msi_vector *v)
{
	struct pollfd pfd = { .fd = v->efd, .events = POLLIN };

	return !v->irqfd && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

void msi_vector_fire(const struct msi_vector *v)
{
	(void)!write(v->efd, &(uint64_t){ 1 }, sizeof(uint64_t));
}

int msix_table_init(struct msix_table *t, unsigned nvec)
{
	memset(t, 0, sizeof(*t));
	t->entries = calloc(nvec, MSIX_ENTRY_SIZE);
	if (!t->entries)
		return -ENOMEM;
	t->nvec = nvec;
	msix_table_reset(t);
	return 0;
}

void msix_table_free(struct msix_table *t)
{
	free(t->entries);
	t->entries = NULL;
	t->nvec = 0;
}

void msix_table_reset(struct msix_table *t)
{
	memset(t->entries, 0, (size_t)t->nvec * MSIX_ENTRY_SIZE);
	for (unsigned i = 0; i < t->nvec; i++)
		t->entries[4 * i + CTRL] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	t->enabled = t->masked = false;
}

static bool in_table(const struct msix_table *t, uint64_t off, unsigned size)
{
	uint64_t len = (uint64_t)t->nvec * MSIX_ENTRY_SIZE;

	return size >= 1 && size <= 8 && off <= len && size <= len - off;
}

uint64_t msix_table_read(const struct msix_table *t, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	if (!in_table(t, off, size))
		return ~0ULL;
	memcpy(&v, (const uint8_t *)t->entries + off, size);
	return v;
}

bool msix_table_write(struct msix_table *t, uint64_t off, unsigned size, uint64_t value,
		      unsigned *first, unsigned *last)
{
	if (!in_table(t, off, size))
		return false;
	memcpy((uint8_t *)t->entries + off, &value, size);
	*first = (unsigned)(off / MSIX_ENTRY_SIZE);
	*last = (unsigned)((off + size - 1) / MSIX_ENTRY_SIZE);
	return true;
}

bool msix_vector_live(const struct msix_table *t, unsigned i)
{
	return i < t->nvec && t->enabled && !t->masked &&
	       !(t->entries[4 * i + CTRL] & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

void msix_vector_message(const struct msix_table *t, unsigned i, uint64_t *addr, uint32_t *data)
{
	*addr = t->entries[4 * i + ADDR_LO] | (uint64_t)t->entries[4 * i + ADDR_HI] << 32;
	*data = t->entries[4 * i + DATA];
}
