/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MSI and MSI-X for any PCI device model, passed through (vfio/) or
 * emulated (core/virtio/):
 *
 * struct msi_vector is one vector on its way to the guest: whoever raises
 * it writes its eventfd; while the guest lets it fire, a KVM irqfd turns
 * that into the guest's message through an MSI route. Masking removes the
 * irqfd, so interrupts wait in the eventfd's counter (the pending bit);
 * unmasking puts it back and delivers what waited. No VMM thread is on
 * the path.
 *
 * struct msix_table is the guest's MSI-X table (PCI 3.0 6.8.2): sixteen
 * bytes a vector, every access bounds-checked, and whether a vector may
 * fire given the capability's enable and function-mask bits.
 */
#ifndef PARTVM_MSI_H
#define PARTVM_MSI_H

#include <stdbool.h>
#include <stdint.h>

struct kvm;

struct msi_vector {
	int efd;
	uint32_t gsi;                    /* 0: no route this boot */
	bool irqfd;                      /* KVM_IRQFD assigned */
	uint64_t addr;                   /* the guest's message */
	uint32_t data;
	uint64_t routed_addr;            /* what the route says */
	uint32_t routed_data;
};

/* N vectors with their eventfds (nonblocking). */
int msi_vectors_open(struct msi_vector *v, unsigned n);
void msi_vectors_close(struct msi_vector *v, unsigned n);
/* Bring V in line with its message: routed and irqfd'ed when LIVE (what
 * waited while masked is delivered once), irqfd removed otherwise.
 * -ENODEV without a VM. */
int msi_vector_update(struct kvm *k, struct msi_vector *v, bool live);
/* Remove V's irqfd and route and give its GSI back. */
void msi_vector_release(struct kvm *k, struct msi_vector *v);
/* Masked with an interrupt waiting. */
bool msi_vector_pending(const struct msi_vector *v);
/* Raise V (from any thread). */
void msi_vector_fire(const struct msi_vector *v);

#define MSIX_ENTRY_SIZE 16

struct msix_table {
	unsigned nvec;
	uint32_t *entries;               /* 4 dwords a vector, as the guest wrote them */
	bool enabled, masked;            /* the capability's enable and function mask */
};

int msix_table_init(struct msix_table *t, unsigned nvec);
void msix_table_free(struct msix_table *t);
/* Reset state: every vector masked, no message, MSI-X off. */
void msix_table_reset(struct msix_table *t);
/* The table's bytes in [OFF, OFF+SIZE): ~0 past its end. */
uint64_t msix_table_read(const struct msix_table *t, uint64_t off, unsigned size);
/* A write; returns false when it falls outside the table. *FIRST and
 * *LAST are the vectors it touched. */
bool msix_table_write(struct msix_table *t, uint64_t off, unsigned size, uint64_t value,
		      unsigned *first, unsigned *last);
/* May vector I fire: MSI-X on, not function-masked, the vector unmasked. */
bool msix_vector_live(const struct msix_table *t, unsigned i);
/* Vector I's message as the guest wrote it. */
void msix_vector_message(const struct msix_table *t, unsigned i, uint64_t *addr, uint32_t *data);
/* Bytes of a PBA for NVEC vectors. */
static inline uint64_t msix_pba_size(unsigned nvec)
{
	return (nvec + 63) / 64 * 8;
}

#endif
