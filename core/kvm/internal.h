/* SPDX-License-Identifier: GPL-2.0-only */
/* Inside core/kvm/: what one file of the layer offers another. */
#ifndef PARTVM_KVM_INTERNAL_H
#define PARTVM_KVM_INTERNAL_H

#include "core/kvm/kvm.h"

/* Just below the 4 GiB boundary, outside everything in core/layout.h:
 * Intel VMX needs these pages for real-mode emulation. */
#define KVM_IDENTITY_MAP_ADDR 0xfeffc000ULL
#define KVM_TSS_ADDR          0xfeffd000ULL

/* irq.c: the default PC routing, committed (a new VM fd has none). */
int kvm_routing_reset(struct kvm *k);

#endif
