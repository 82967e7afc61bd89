// SPDX-License-Identifier: GPL-2.0-only
// LDFLAGS: -Wl,--wrap=ioctl
/*
 * Interrupts of a passed-through device: the emulated MSI-X table (routes
 * carry the guest's messages, masking parks interrupts in the PBA and
 * unmasking delivers them, the device's vector set grows on demand,
 * function mask), MSI with several vectors and per-vector masks, and INTx
 * through a resample irqfd that gives way to MSI-X.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <poll.h>
#include <stdio.h>

#include "capture.h"
#include "vfio_fake.h"

#define MSIX_CAP 0x40
#define MSI_CAP 0x60
#define TABLE 0x2000
#define PBA 0x3000

/* BAR0 16 KiB with an 8-vector MSI-X table at 0x2000 and its PBA at
 * 0x3000; MSI with 4 vectors, 64-bit, maskable; INTx pin A. */
static struct vfio_pci *make_device(void)
{
	struct vfio_pci *p;

	fake_init();
	fake_bar(0, 16384, 0, true);
	fake.irq_count[VFIO_PCI_INTX_IRQ_INDEX] = 1;
	fake.irq_count[VFIO_PCI_MSI_IRQ_INDEX] = 4;
	fake.irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = 8;
	cfg_put(PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
	cfg_put(PCI_CAPABILITY_LIST, 1, MSIX_CAP);
	cfg_put(MSIX_CAP, 2, (MSI_CAP << 8) | PCI_CAP_ID_MSIX);
	cfg_put(MSIX_CAP + PCI_MSIX_FLAGS, 2, 7);
	cfg_put(MSIX_CAP + PCI_MSIX_TABLE, 4, TABLE);
	cfg_put(MSIX_CAP + PCI_MSIX_PBA, 4, PBA);
	cfg_put(MSI_CAP, 2, PCI_CAP_ID_MSI);
	cfg_put(MSI_CAP + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT | (2 << 1));
	cfg_put(PCI_INTERRUPT_PIN, 1, 1);
	p = fake_create(NULL);
	assert_int_equal(vfio_pci_attach(p), 0);
	guest_cfg_write(p, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return p;
}

static uint64_t bar0(const struct vfio_pci *p)
{
	return guest_cfg_read(p, PCI_BASE_ADDRESS_0, 4) & PCI_BASE_ADDRESS_MEM_MASK;
}

static void entry(const struct vfio_pci *p, unsigned i, uint64_t addr, uint32_t data, uint32_t ctrl)
{
	uint64_t t = bar0(p) + TABLE + 16 * i;

	guest_mmio_write(t + PCI_MSIX_ENTRY_LOWER_ADDR, 4, (uint32_t)addr);
	guest_mmio_write(t + PCI_MSIX_ENTRY_UPPER_ADDR, 4, (uint32_t)(addr >> 32));
	guest_mmio_write(t + PCI_MSIX_ENTRY_DATA, 4, data);
	guest_mmio_write(t + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, ctrl);
}

static uint64_t pba(const struct vfio_pci *p)
{
	uint64_t v = ~0ULL;

	assert_true(guest_mmio_read(bar0(p) + PBA, 8, &v));
	return v;
}

static void fire(int efd)
{
	uint64_t one = 1;

	assert_int_equal(write(efd, &one, 8), 8);
}

static uint64_t drain(int efd)
{
	uint64_t n = 0;

	if (read(efd, &n, 8) != 8)
		return 0;
	return n;
}

static void test_msix_routes_and_masking(void **state)
{
	struct vfio_pci *p = make_device();
	const struct fake_irqs *s;
	const struct kvm_irq_routing_entry *rt;
	int efd0 = p->msix.vec[0].efd;
	uint32_t gsi;

	/* INTx is live until MSI-X is enabled. */
	assert_true(irqfd_live(p->intx.trigger, p->pci.intx_gsi));

	/* Linux: enable with the function masked, program, unmask. */
	guest_cfg_write(p, MSIX_CAP + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	assert_false(irqfd_live(p->intx.trigger, p->pci.intx_gsi));
	s = last_set_irqs(VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER);
	assert_non_null(s);
	assert_int_equal(s->count, 1);
	assert_int_equal(s->fds[0], efd0);
	entry(p, 0, 0xfee01000, 0x4041, 0);
	/* Still under the function mask: no route, no irqfd. */
	assert_int_equal(p->msix.vec[0].gsi, 0);
	guest_cfg_write(p, MSIX_CAP + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);

	gsi = p->msix.vec[0].gsi;
	assert_true(gsi >= 24);
	rt = route_of(gsi);
	assert_non_null(rt);
	assert_int_equal(rt->u.msi.address_lo, 0xfee01000);
	assert_int_equal(rt->u.msi.address_hi, 0);
	assert_int_equal(rt->u.msi.data, 0x4041);
	assert_true(irqfd_live(efd0, gsi));

	/* The guest reads its table back; untouched entries are masked. */
	{
		uint64_t v = 0;

		assert_true(guest_mmio_read(bar0(p) + TABLE + PCI_MSIX_ENTRY_DATA, 4, &v));
		assert_int_equal(v, 0x4041);
		assert_true(guest_mmio_read(bar0(p) + TABLE + 16 * 3 + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, &v));
		assert_int_equal(v, PCI_MSIX_ENTRY_CTRL_MASKBIT);
	}

	/* Masked: the irqfd goes; an interrupt now waits and shows in the PBA. */
	guest_mmio_write(bar0(p) + TABLE + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, PCI_MSIX_ENTRY_CTRL_MASKBIT);
	assert_false(irqfd_live(efd0, gsi));
	assert_int_equal(pba(p), 0);
	fire(efd0);
	assert_int_equal(pba(p), 1);
	/* Unmasked: the irqfd is back on the same GSI and the waiting
	 * interrupt is handed to it (one signal on the eventfd). */
	guest_mmio_write(bar0(p) + TABLE + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
	assert_true(irqfd_live(efd0, gsi));
	assert_int_equal(p->msix.vec[0].gsi, gsi);
	assert_int_equal(drain(efd0), 1);
	assert_int_equal(pba(p), 0);

	/* Reprogrammed while live: same GSI, new message, irqfd untouched. */
	{
		unsigned before = fake.nirqfds;

		guest_mmio_write(bar0(p) + TABLE + PCI_MSIX_ENTRY_DATA, 4, 0x4052);
		assert_int_equal(route_of(gsi)->u.msi.data, 0x4052);
		assert_int_equal(fake.nirqfds, before);
	}

	/* A vector beyond the device's set: the set grows, and the live
	 * vector 0 is kicked once for what the re-enable may have hidden. */
	entry(p, 5, 0xfee02000, 0x4060, 0);
	s = last_set_irqs(VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER);
	assert_int_equal(s->count, 6);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(s->fds[i], p->msix.vec[i].efd);
	assert_true(irqfd_live(p->msix.vec[5].efd, p->msix.vec[5].gsi));
	assert_int_equal(route_of(p->msix.vec[5].gsi)->u.msi.address_lo, 0xfee02000);
	assert_int_equal(drain(efd0), 1);

	/* Function mask: every irqfd goes, nothing is lost. */
	guest_cfg_write(p, MSIX_CAP + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	assert_false(irqfd_live(efd0, gsi));
	assert_false(irqfd_live(p->msix.vec[5].efd, p->msix.vec[5].gsi));
	fire(p->msix.vec[5].efd);
	assert_int_equal(pba(p), 1u << 5);

	/* Disabled: the device's vectors go and INTx comes back. */
	guest_cfg_write(p, MSIX_CAP + PCI_MSIX_FLAGS, 2, 0);
	s = last_set_irqs(VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER);
	assert_int_equal(s->count, 0);
	assert_true(s->flags & VFIO_IRQ_SET_DATA_NONE);
	assert_true(irqfd_live(p->intx.trigger, p->pci.intx_gsi));
	fake_fini(p);
}

static void test_msix_table_is_contained(void **state)
{
	struct vfio_pci *p = make_device();
	uint64_t v;

	/* The PBA is read-only; writes to it and past the table reach
	 * neither the emulation nor the device. */
	guest_mmio_write(bar0(p) + PBA, 8, ~0ULL);
	assert_int_equal(pba(p), 0);
	assert_int_equal(vfio_msix_table_read(p, 8 * 16 - 4, 8), ~0ULL);
	vfio_msix_table_write(p, 8 * 16, 4, 0);
	vfio_msix_table_write(p, ~0ULL - 2, 4, 0);
	assert_int_equal(vfio_msix_pba_read(p, 8, 8), ~0ULL);
	/* The rest of the trapped pages is the device's register space. */
	{
		uint32_t dev = 0xcafef00d;

		assert_int_equal(pwrite(fake.dev_fd, &dev, 4, (off_t)(FAKE_OFF(0) + TABLE + 0x800)), 4);
		assert_true(guest_mmio_read(bar0(p) + TABLE + 0x800, 4, &v));
		assert_int_equal(v, 0xcafef00d);
	}
	fake_fini(p);
}

static void test_bar_move(void **state)
{
	struct vfio_pci *p = make_device();
	const struct vfio_piece *pc = &p->bars[0].pieces[0];
	uint64_t old = bar0(p), new = 0x90000000, v;

	assert_int_equal(fake.slots[pc->slot].guest_phys_addr, old);
	assert_true(guest_mmio_read(old + TABLE + 12, 4, &v));
	/* Linux moves a BAR with decoding on; partvm follows the write. */
	guest_cfg_write(p, PCI_BASE_ADDRESS_0, 4, (uint32_t)new);
	assert_int_equal(fake.slots[pc->slot].guest_phys_addr, new);
	assert_int_equal(fake.slots[pc->slot].memory_size, 0x2000);
	assert_ptr_equal((void *)(uintptr_t)fake.slots[pc->slot].userspace_addr, pc->host);
	assert_false(guest_mmio_read(old + TABLE + 12, 4, &v));
	assert_true(guest_mmio_read(new + TABLE + 12, 4, &v));
	assert_int_equal(v, PCI_MSIX_ENTRY_CTRL_MASKBIT);
	/* A move onto guest RAM's bus range of another device fails cleanly:
	 * nothing decoded, and back at a free address it works again. */
	guest_cfg_write(p, PCI_BASE_ADDRESS_0, 4, LAYOUT_ECAM_START);
	assert_false(p->pci.bars[0].mapped);
	assert_true(guest_mmio_read(LAYOUT_ECAM_START, 4, &v));   /* still ECAM */
	guest_cfg_write(p, PCI_BASE_ADDRESS_0, 4, (uint32_t)new);
	assert_true(p->pci.bars[0].mapped);
	assert_true(guest_mmio_read(new + TABLE + 12, 4, &v));
	fake_fini(p);
}

static void test_msi_vectors_and_masks(void **state)
{
	struct vfio_pci *p = make_device();
	const struct fake_irqs *s;
	unsigned data = MSI_CAP + PCI_MSI_DATA_64, mask = MSI_CAP + PCI_MSI_MASK_64;

	/* The guest sees the device's limit: 4 messages. */
	assert_int_equal((guest_cfg_read(p, MSI_CAP + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_QMASK) >> 1, 2);
	guest_cfg_write(p, MSI_CAP + PCI_MSI_ADDRESS_LO, 4, 0xfee00000);
	guest_cfg_write(p, MSI_CAP + PCI_MSI_ADDRESS_HI, 4, 0);
	guest_cfg_write(p, data, 2, 0x4070);
	guest_cfg_write(p, mask, 4, 0x2);
	/* Two messages (MME 1), enabled. */
	guest_cfg_write(p, MSI_CAP + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE | (1 << 4));
	s = last_set_irqs(VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER);
	assert_non_null(s);
	assert_int_equal(s->count, 2);
	assert_false(irqfd_live(p->intx.trigger, p->pci.intx_gsi));
	assert_int_equal(route_of(p->msi.vec[0].gsi)->u.msi.data, 0x4070);
	assert_true(irqfd_live(p->msi.vec[0].efd, p->msi.vec[0].gsi));
	/* Vector 1 is masked: no irqfd; its interrupt is pending. */
	assert_false(p->msi.vec[1].irqfd);
	fire(p->msi.vec[1].efd);
	assert_int_equal(guest_cfg_read(p, MSI_CAP + PCI_MSI_PENDING_64, 4), 0x2);
	guest_cfg_write(p, mask, 4, 0);
	assert_int_equal(route_of(p->msi.vec[1].gsi)->u.msi.data, 0x4071);
	assert_true(irqfd_live(p->msi.vec[1].efd, p->msi.vec[1].gsi));
	assert_int_equal(guest_cfg_read(p, MSI_CAP + PCI_MSI_PENDING_64, 4), 0);
	/* Off: back to INTx. */
	guest_cfg_write(p, MSI_CAP + PCI_MSI_FLAGS, 2, 0);
	assert_true(irqfd_live(p->intx.trigger, p->pci.intx_gsi));
	fake_fini(p);
}

static void test_intx_resample(void **state)
{
	struct vfio_pci *p = make_device();
	const struct fake_irqs *t = NULL, *u = NULL;
	const struct kvm_irqfd *k = NULL;

	for (unsigned i = 0; i < fake.nirqs; i++) {
		if (fake.irqs[i].index != VFIO_PCI_INTX_IRQ_INDEX)
			continue;
		if (fake.irqs[i].flags & VFIO_IRQ_SET_ACTION_TRIGGER)
			t = &fake.irqs[i];
		if (fake.irqs[i].flags & VFIO_IRQ_SET_ACTION_UNMASK)
			u = &fake.irqs[i];
	}
	assert_non_null(t);
	assert_non_null(u);
	assert_int_equal(t->fds[0], p->intx.trigger);
	assert_int_equal(u->fds[0], p->intx.unmask);
	for (unsigned i = 0; i < fake.nirqfds; i++)
		if ((int)fake.irqfds[i].fd == p->intx.trigger)
			k = &fake.irqfds[i];
	assert_non_null(k);
	/* Level-triggered: the GSI of the slot's _PRT entry, and KVM signals
	 * the unmask eventfd at the guest's EOI. */
	assert_int_equal(k->gsi, pci_intx_gsi(p->pci.slot, 1));
	assert_true(k->flags & KVM_IRQFD_FLAG_RESAMPLE);
	assert_int_equal((int)k->resamplefd, p->intx.unmask);
	/* Detach: the device stops signalling into the VM. */
	vfio_pci_detach(p);
	assert_false(irqfd_live(p->intx.trigger, p->pci.intx_gsi));
	t = last_set_irqs(VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER);
	assert_int_equal(t->count, 0);
	fake_fini(p);
}

static void test_reset_between_boots(void **state)
{
	struct vfio_pci *p = make_device();
	unsigned resets = fake.resets;
	uint64_t v = 0;

	guest_cfg_write(p, MSIX_CAP + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	entry(p, 2, 0xfee00000, 0x4080, 0);
	vfio_pci_detach(p);
	pci_host_reset(&vm);
	assert_int_equal(fake.resets, resets + 1);
	/* The next boot finds MSI-X off and the table masked, as after a
	 * device reset; BAR addresses stay, decoding is off. */
	assert_int_equal(guest_cfg_read(p, MSIX_CAP + PCI_MSIX_FLAGS, 2), 7);
	assert_int_equal(guest_cfg_read(p, PCI_COMMAND, 2), 0);
	assert_int_equal(vfio_pci_attach(p), 0);
	guest_cfg_write(p, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_true(guest_mmio_read(bar0(p) + TABLE + 16 * 2 + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, &v));
	assert_int_equal(v, PCI_MSIX_ENTRY_CTRL_MASKBIT);
	assert_true(irqfd_live(p->intx.trigger, p->pci.intx_gsi));
	fake_fini(p);
}

/* A guest that rebinds its driver in a loop enables and disables MSI and
 * MSI-X over and over: each disable must give its routes back, so the
 * table stays the size of what is live and GSIs are reused. Before, every
 * enable added routes and, 4,000 enables later, KVM refused the table. */
static void test_msi_toggle_frees_routes(void **state)
{
	struct vfio_pci *p = make_device();
	unsigned base_routes, max_gsi = 0;

	guest_cfg_write(p, MSI_CAP + PCI_MSI_ADDRESS_LO, 4, 0xfee00000);
	guest_cfg_write(p, MSI_CAP + PCI_MSI_DATA_64, 2, 0x4070);
	base_routes = fake.nroutes;
	for (unsigned i = 0; i < 10000; i++) {
		/* The fake's logs are bounded; what is live is in the table. */
		fake.nirqs = fake.nirqfds = 0;
		guest_cfg_write(p, MSI_CAP + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE | (1 << 4));
		assert_non_null(route_of(p->msi.vec[1].gsi));
		assert_int_equal(route_of(p->msi.vec[1].gsi)->u.msi.data, 0x4071);
		if (p->msi.vec[1].gsi > max_gsi)
			max_gsi = p->msi.vec[1].gsi;
		guest_cfg_write(p, MSI_CAP + PCI_MSI_FLAGS, 2, 0);
		fake.nirqs = fake.nirqfds = 0;
		guest_cfg_write(p, MSIX_CAP + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
		entry(p, 0, 0xfee01000, 0x4041 + (i & 0xff), 0);
		assert_non_null(route_of(p->msix.vec[0].gsi));
		assert_int_equal(route_of(p->msix.vec[0].gsi)->u.msi.data, 0x4041 + (i & 0xff));
		if (p->msix.vec[0].gsi > max_gsi)
			max_gsi = p->msix.vec[0].gsi;
		guest_cfg_write(p, MSIX_CAP + PCI_MSIX_FLAGS, 2, 0);
		entry(p, 0, 0xfee01000, 0x4041, PCI_MSIX_ENTRY_CTRL_MASKBIT);
	}
	/* Nothing live: the table is back to the IOAPIC/PIC routes. */
	assert_int_equal(fake.nroutes, base_routes);
	assert_true(max_gsi < 24 + 8);
	fake_fini(p);
}

/*
 * Issue 18, defect 4: once KVM refuses new interrupt routes, every MSI-X
 * table write the guest makes logged a warning. 1000 writes: at most the
 * burst of 5 lines; MSI (config space) the same.
 */
static void test_route_failure_warnings_limited(void **state)
{
	struct vfio_pci *p = make_device();
	struct capture cap;

	guest_cfg_write(p, MSIX_CAP + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	fake.routing_error = -ENOSPC;
	capture_begin(&cap);
	for (unsigned i = 0; i < 1000; i++)
		entry(p, 0, 0xfee01000, 0x4041 + (i & 0xff), 0);
	capture_end(&cap);
	assert_non_null(strstr(cap.text, "cannot route its interrupt"));
	assert_true(cap.lines >= 1 && cap.lines <= 5);

	guest_cfg_write(p, MSIX_CAP + PCI_MSIX_FLAGS, 2, 0);
	guest_cfg_write(p, MSI_CAP + PCI_MSI_ADDRESS_LO, 4, 0xfee00000);
	capture_begin(&cap);
	for (unsigned i = 0; i < 1000; i++) {
		guest_cfg_write(p, MSI_CAP + PCI_MSI_DATA_64, 2, 0x4070 + (i & 0xf));
		guest_cfg_write(p, MSI_CAP + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE);
	}
	capture_end(&cap);
	assert_true(cap.lines <= 5);
	fake.routing_error = 0;
	fake_fini(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msix_routes_and_masking),
		cmocka_unit_test(test_msix_table_is_contained),
		cmocka_unit_test(test_bar_move),
		cmocka_unit_test(test_msi_vectors_and_masks),
		cmocka_unit_test(test_intx_resample),
		cmocka_unit_test(test_reset_between_boots),
		cmocka_unit_test(test_msi_toggle_frees_routes),
		cmocka_unit_test(test_route_failure_warnings_limited),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
