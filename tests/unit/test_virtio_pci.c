// SPDX-License-Identifier: GPL-2.0-only
/*
 * The virtio PCI transport as a driver meets it, with virtio-rng as the
 * device: capabilities in config space, feature negotiation, queue setup,
 * DRIVER_OK starting the queue's thread, buffers filled, ISR; and a
 * hostile driver: features never offered, queues moved or resized while
 * enabled, broken rings, odd-sized and out-of-range accesses to every
 * structure, the PCI_CFG window pointing anywhere. And the rate limit, and
 * the doorbells' ioeventfds as KVM is asked for them (the ioctl edge
 * mocked for a fake VM fd).
 */
// LDFLAGS: -Wl,--wrap=ioctl
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tests/unit/virtio_fake.h"

#define QS 64
#define BUF 0x300000ULL
#define FEATURES (1ULL << VIRTIO_F_VERSION_1)

static struct fake_vm f;

/* A VM fd whose ioctls are only recorded (KVM_IOEVENTFD) and succeed. */
static int fake_vm_fd = -1;
static struct kvm_ioeventfd ioeventfds[8];
static unsigned nioeventfds;

int __real_ioctl(int fd, unsigned long req, ...);

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fake_vm_fd < 0 || fd != fake_vm_fd)
		return __real_ioctl(fd, req, arg);
	if (req == KVM_IOEVENTFD && nioeventfds < sizeof(ioeventfds) / sizeof(ioeventfds[0]))
		ioeventfds[nioeventfds++] = *(struct kvm_ioeventfd *)arg;
	return 0;
}

static int setup(void **state)
{
	fake_virtio_vm(&f);
	return 0;
}

static int teardown(void **state)
{
	fake_virtio_free(&f);
	fake_vm_fd = -1;
	return 0;
}

static uint32_t cfg_rd(unsigned off, unsigned size)
{
	return pci_host_config_read(f.vm.pci, f.slot, 0, off, size);
}

static void cfg_wr(unsigned off, unsigned size, uint32_t v)
{
	pci_host_config_write(f.vm.pci, f.slot, 0, off, size, v);
}

/* The offset of the vendor capability of TYPE after the one at FROM (the
 * list's head when 0), 0 if none. */
static unsigned find_next_cap(uint8_t type, unsigned from)
{
	unsigned off = from ? cfg_rd(from + 1, 1) : cfg_rd(PCI_CAPABILITY_LIST, 1), n = 0;

	while (off && n++ < 48) {
		if (cfg_rd(off, 1) == PCI_CAP_ID_VNDR && cfg_rd(off + VIRTIO_PCI_CAP_CFG_TYPE, 1) == type)
			return off;
		off = cfg_rd(off + 1, 1);
	}
	return 0;
}

static unsigned find_cap(uint8_t type)
{
	return find_next_cap(type, 0);
}

/* BAR2, the I/O-port doorbells, where the host bridge put it. */
static uint16_t pio_bar(void)
{
	uint32_t v = cfg_rd(PCI_BASE_ADDRESS_2, 4);

	assert_true(v & PCI_BASE_ADDRESS_SPACE_IO);
	return (uint16_t)(v & PCI_BASE_ADDRESS_IO_MASK);
}

static void test_identity_and_caps(void **state)
{
	unsigned common, notify, notify_mmio, isr, pcicfg;

	fake_virtio_device(&f, "[rng]\n");
	assert_int_equal(cfg_rd(PCI_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(cfg_rd(PCI_DEVICE_ID, 2), 0x1044);
	assert_int_equal(cfg_rd(PCI_REVISION_ID, 1), 1);
	assert_true(cfg_rd(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	common = find_cap(VIRTIO_PCI_CAP_COMMON_CFG);
	notify = find_cap(VIRTIO_PCI_CAP_NOTIFY_CFG);
	isr = find_cap(VIRTIO_PCI_CAP_ISR_CFG);
	pcicfg = find_cap(VIRTIO_PCI_CAP_PCI_CFG);
	assert_true(common && notify && isr && pcicfg);
	/* virtio-rng has no device config: no such capability. */
	assert_int_equal(find_cap(VIRTIO_PCI_CAP_DEVICE_CFG), 0);
	assert_int_equal(cfg_rd(common + VIRTIO_PCI_CAP_BAR, 1), 0);
	assert_int_equal(cfg_rd(common + VIRTIO_PCI_CAP_OFFSET, 4), VIRTIO_BAR_COMMON);
	/* The driver takes the first notification capability: the I/O-port
	 * doorbells in BAR2, 2 bytes apart; then BAR0's, 4 bytes apart. */
	assert_int_equal(cfg_rd(notify + VIRTIO_PCI_CAP_BAR, 1), VIRTIO_PIO_BAR);
	assert_int_equal(cfg_rd(notify + VIRTIO_PCI_CAP_OFFSET, 4), 0);
	assert_int_equal(cfg_rd(notify + VIRTIO_PCI_CAP_LENGTH, 4), 2);
	assert_int_equal(cfg_rd(notify + VIRTIO_PCI_NOTIFY_CAP_MULT, 4), VIRTIO_PIO_MULT);
	notify_mmio = find_next_cap(VIRTIO_PCI_CAP_NOTIFY_CFG, notify);
	assert_true(notify_mmio);
	assert_int_equal(cfg_rd(notify_mmio + VIRTIO_PCI_CAP_BAR, 1), 0);
	assert_int_equal(cfg_rd(notify_mmio + VIRTIO_PCI_CAP_OFFSET, 4), VIRTIO_BAR_NOTIFY);
	assert_int_equal(cfg_rd(notify_mmio + VIRTIO_PCI_NOTIFY_CAP_MULT, 4), VIRTIO_NOTIFY_MULT);
	assert_int_equal(find_next_cap(VIRTIO_PCI_CAP_NOTIFY_CFG, notify_mmio), 0);
	/* BAR2: 4 bytes of I/O space (one queue, the smallest I/O BAR), in
	 * the host bridge's I/O window. */
	assert_true(pio_bar() >= PCI_IO_WINDOW_START);
	cfg_wr(PCI_BASE_ADDRESS_2, 4, 0xffffffff);
	assert_int_equal(cfg_rd(PCI_BASE_ADDRESS_2, 4), 0xfffffffd);
	assert_int_equal(cfg_rd(isr + VIRTIO_PCI_CAP_OFFSET, 4), VIRTIO_BAR_ISR);
	/* MSI-X: two vectors (the queue and config), table in BAR0. */
	assert_int_equal(cfg_rd(0x40, 1), PCI_CAP_ID_MSIX);
	assert_int_equal(cfg_rd(0x40 + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE, 1);
	assert_int_equal(cfg_rd(0x40 + PCI_MSIX_TABLE, 4), VIRTIO_BAR_MSIX);
	/* A 64-bit memory BAR, decoded where the host bridge put it. */
	assert_int_equal(cfg_rd(PCI_BASE_ADDRESS_0, 4) & PCI_BASE_ADDRESS_MEM_TYPE_MASK,
			 PCI_BASE_ADDRESS_MEM_TYPE_64);
	assert_int_equal(bar_rd(&f, VIRTIO_PCI_COMMON_NUMQ, 2), 1);
}

static void test_rng_fills_buffers(void **state)
{
	uint8_t *buf;
	uint32_t id, len;
	unsigned zeros = 0;

	fake_virtio_device(&f, "[rng]\n");
	assert_true(device_features(&f) & FEATURES);
	assert_true(driver_init(&f, FEATURES, 1, QS) & VIRTIO_CONFIG_S_DRIVER_OK);
	buf = gpa(&f, BUF);
	memset(buf, 0, 4096);
	put_desc_at(&f, RING_DESC(0), 0, BUF, 4096, VRING_DESC_F_WRITE, 0);
	offer_and_kick(&f, 0, QS, 0);
	assert_true(wait_used(&f, 0, 1, 2000));
	used_elem(&f, 0, QS, 0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 4096);
	for (unsigned i = 0; i < 4096; i++)
		zeros += !buf[i];
	assert_true(zeros < 64);
	/* No MSI-X: INTx, with the queue bit in the ISR; reading clears it. */
	assert_int_equal(bar_rd(&f, VIRTIO_BAR_ISR, 1), 1);
	assert_int_equal(bar_rd(&f, VIRTIO_BAR_ISR, 1), 0);
}

/* A hostile driver offers one huge buffer (32 MiB here, up to 4 GiB in one
 * descriptor): the device fills at most RNG_MAX_REQUEST of it, so one
 * request costs bounded work on a host thread, and says so in used.len
 * (a fuzz input asking for 1.8 GB took over 10 s). */
static void test_rng_request_capped(void **state)
{
	uint8_t *buf;
	uint32_t id, len;

	fake_virtio_device(&f, "[rng]\n");
	assert_true(driver_init(&f, FEATURES, 1, QS) & VIRTIO_CONFIG_S_DRIVER_OK);
	buf = gpa(&f, BUF);
	memset(buf, 0, 32 << 20);
	put_desc_at(&f, RING_DESC(0), 0, BUF, 32 << 20, VRING_DESC_F_WRITE, 0);
	offer_and_kick(&f, 0, QS, 0);
	assert_true(wait_used(&f, 0, 1, 2000));
	used_elem(&f, 0, QS, 0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 64 * 1024);
	/* Nothing written past what used.len says. */
	for (size_t i = 64 * 1024; i < (32 << 20); i += 4096)
		assert_int_equal(buf[i], 0);
}

static void test_rate_limit(void **state)
{
	struct timespec t0, t1;
	double secs;

	/* 1 KiB a second and a full bucket (4 KiB at least) at start: 6 KiB
	 * take 2 s. */
	fake_virtio_device(&f, "[rng]\nrate = 1K\n");
	assert_true(driver_init(&f, FEATURES, 1, QS) & VIRTIO_CONFIG_S_DRIVER_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint16_t i = 0; i < 96; i++) {
		put_desc_at(&f, RING_DESC(0), i % QS, BUF + 64 * i, 64, VRING_DESC_F_WRITE, 0);
		offer_and_kick(&f, 0, QS, i % QS);
		assert_true(wait_used(&f, 0, (uint16_t)(i + 1), 5000));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (secs < 1.8 || secs > 4.0)
		fail_msg("6 KiB at 1 KiB/s took %.2f s", secs);
}

/* The same with EVENT_IDX, kicking only when the device's avail_event
 * asks for it and counting on an interrupt only when used_event says
 * so, as Linux does: a rate-limited device must still finish. */
static void test_rate_limit_event_idx(void **state)
{
	uint16_t *avail_event = gpa(&f, RING_USED(0) + 4 + 8 * QS);
	uint16_t *used_event = gpa(&f, RING_AVAIL(0) + 4 + 2 * QS);
	uint16_t *aidx = gpa(&f, RING_AVAIL(0) + 2), *ring = gpa(&f, RING_AVAIL(0) + 4);
	struct timespec t0, t1;
	double secs;

	fake_virtio_device(&f, "[rng]\nrate = 1K\n");
	assert_true(driver_init(&f, FEATURES | (1ULL << VIRTIO_RING_F_EVENT_IDX), 1, QS) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint16_t i = 0; i < 96; i++) {
		uint16_t old = *aidx;

		put_desc_at(&f, RING_DESC(0), i % QS, BUF + 64 * i, 64, VRING_DESC_F_WRITE, 0);
		ring[old % QS] = i % QS;
		*used_event = i;   /* interrupt me when this one is used */
		__atomic_store_n(aidx, (uint16_t)(old + 1), __ATOMIC_SEQ_CST);
		if (vring_need_event(__atomic_load_n(avail_event, __ATOMIC_SEQ_CST), old + 1, old))
			bar_wr(&f, VIRTIO_BAR_NOTIFY, 2, 0);
		if (!wait_used(&f, 0, (uint16_t)(i + 1), 5000))
			fail_msg("buffer %u was never used (avail_event %u)", i, *avail_event);
		/* Its interrupt came, and it was filled whole. */
		assert_true(bar_rd(&f, VIRTIO_BAR_ISR, 1) & 1);
		uint32_t id, len;
		used_elem(&f, 0, QS, i, &id, &len);
		assert_int_equal(len, 64);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (secs < 1.8 || secs > 4.0)
		fail_msg("6 KiB at 1 KiB/s took %.2f s", secs);
}

static void test_feature_negotiation(void **state)
{
	fake_virtio_device(&f, "[rng]\n");
	/* A legacy driver (no VERSION_1) and a feature never offered. */
	assert_false(driver_init(&f, 0, 1, QS) & VIRTIO_CONFIG_S_FEATURES_OK);
	assert_false(driver_init(&f, FEATURES | (1ULL << 50), 1, QS) & VIRTIO_CONFIG_S_FEATURES_OK);
	assert_true(driver_init(&f, FEATURES | (1ULL << VIRTIO_RING_F_EVENT_IDX), 1, QS) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	/* Features are frozen after FEATURES_OK. */
	driver_features(&f, FEATURES);
	bar_wr(&f, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	assert_int_equal(bar_rd(&f, VIRTIO_PCI_COMMON_GF, 4), 1U << VIRTIO_RING_F_EVENT_IDX);
	bar_wr(&f, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	assert_int_equal(bar_rd(&f, VIRTIO_PCI_COMMON_GF, 4), 1);
}

static void expect_needs_reset(void)
{
	assert_true(status_rd(&f) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* A reset clears it and the device works again. */
	assert_true(driver_init(&f, FEATURES, 1, QS) & VIRTIO_CONFIG_S_DRIVER_OK);
	assert_false(status_rd(&f) & VIRTIO_CONFIG_S_NEEDS_RESET);
	put_desc_at(&f, RING_DESC(0), 0, BUF, 16, VRING_DESC_F_WRITE, 0);
	offer_and_kick(&f, 0, QS, 0);
	assert_true(wait_used(&f, 0, 1, 2000));
}

static void test_queue_moved_while_enabled(void **state)
{
	fake_virtio_device(&f, "[rng]\n");
	assert_true(driver_init(&f, FEATURES, 1, QS) & VIRTIO_CONFIG_S_DRIVER_OK);
	bar_wr(&f, VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0x200000);
	/* Ignored: the rings stay where they were. */
	assert_int_equal(bar_rd(&f, VIRTIO_PCI_COMMON_Q_DESCLO, 4), (uint32_t)RING_DESC(0));
	expect_needs_reset();
}

static void test_queue_resized_while_enabled(void **state)
{
	fake_virtio_device(&f, "[rng]\n");
	assert_true(driver_init(&f, FEATURES, 1, QS) & VIRTIO_CONFIG_S_DRIVER_OK);
	bar_wr(&f, VIRTIO_PCI_COMMON_Q_SIZE, 2, 2);
	assert_int_equal(bar_rd(&f, VIRTIO_PCI_COMMON_Q_SIZE, 2), QS);
	expect_needs_reset();
}

static void test_ring_outside_ram(void **state)
{
	fake_virtio_device(&f, "[rng]\n");
	status_wr(&f, 0);
	status_wr(&f, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	driver_features(&f, FEATURES);
	status_wr(&f, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	bar_wr(&f, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	/* The used ring in the PCI hole (the ECAM). */
	bar_wr(&f, VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)LAYOUT_ECAM_START);
	bar_wr(&f, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	assert_int_equal(bar_rd(&f, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	expect_needs_reset();
}

static void test_broken_chain(void **state)
{
	fake_virtio_device(&f, "[rng]\n");
	assert_true(driver_init(&f, FEATURES, 1, QS) & VIRTIO_CONFIG_S_DRIVER_OK);
	/* A loop. */
	put_desc_at(&f, RING_DESC(0), 0, BUF, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	put_desc_at(&f, RING_DESC(0), 1, BUF, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
	offer_and_kick(&f, 0, QS, 0);
	/* The config-change interrupt tells the driver (INTx here); it comes
	 * after NEEDS_RESET is set, so a driver that takes it reads the status
	 * bit. Waiting for the status bit instead and reading the ISR at once
	 * raced the device's thread between the two. */
	bool config_irq = false;
	for (int i = 0; i < 5000 && !config_irq; i++) {
		config_irq = bar_rd(&f, VIRTIO_BAR_ISR, 1) & VIRTIO_PCI_ISR_CONFIG;
		if (!config_irq)
			usleep(1000);
	}
	assert_true(config_irq);
	assert_int_equal(used_idx(&f, 0), 0);
	expect_needs_reset();
}

static void test_hostile_accesses(void **state)
{
	struct virtio_dev *vdev = fake_virtio_device(&f, "[rng]\n");
	unsigned pcicfg = find_cap(VIRTIO_PCI_CAP_PCI_CFG);
	uint64_t v = 0;

	/* Odd sizes and read-only fields of the common configuration. */
	bar_wr(&f, VIRTIO_PCI_COMMON_STATUS, 4, 0xffffffff);
	assert_int_equal(status_rd(&f), 0);
	bar_wr(&f, VIRTIO_PCI_COMMON_NUMQ, 2, 99);
	assert_int_equal(bar_rd(&f, VIRTIO_PCI_COMMON_NUMQ, 2), 1);
	bar_wr(&f, 0x37, 8, ~0ULL);   /* straddles the end of the structure */
	/* A queue that does not exist reads as absent. */
	bar_wr(&f, VIRTIO_PCI_COMMON_Q_SELECT, 2, 7);
	assert_int_equal(bar_rd(&f, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	bar_wr(&f, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	/* MSI vectors beyond the table are refused (read back NO_VECTOR). */
	bar_wr(&f, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	bar_wr(&f, VIRTIO_PCI_COMMON_Q_MSIX, 2, 5);
	assert_int_equal(bar_rd(&f, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	bar_wr(&f, VIRTIO_PCI_COMMON_Q_MSIX, 2, 1);
	assert_int_equal(bar_rd(&f, VIRTIO_PCI_COMMON_Q_MSIX, 2), 1);
	/* The MSI-X table: inside works, past its end is nothing. */
	bar_wr(&f, VIRTIO_BAR_MSIX + 16, 4, 0xfee00000);
	assert_int_equal(bar_rd(&f, VIRTIO_BAR_MSIX + 16, 4), 0xfee00000);
	bar_wr(&f, VIRTIO_BAR_MSIX + 2 * 16, 4, 0x12345678);
	assert_int_equal(bar_rd(&f, VIRTIO_BAR_MSIX + 2 * 16, 4), 0);
	bar_wr(&f, VIRTIO_BAR_MSIX + 2 * 16 - 4, 8, ~0ULL);   /* straddles the end */
	/* Doorbells past the last queue, device config that does not exist. */
	bar_wr(&f, VIRTIO_BAR_NOTIFY + 4 * VIRTIO_NOTIFY_MULT, 2, 0);
	assert_int_equal(bar_rd(&f, VIRTIO_BAR_DEVICE, 4), 0);
	/* The last byte of BAR0 and one past it. */
	assert_true(bus_read(&f.vm.mmio, f.bar + VIRTIO_BAR_SIZE - 1, 1, &v));
	assert_false(bus_read(&f.vm.mmio, f.bar + VIRTIO_BAR_SIZE, 1, &v));
	/* The PCI_CFG window: into BAR0 works, past it or sized 3 does not. */
	cfg_wr(pcicfg + VIRTIO_PCI_CAP_OFFSET, 4, VIRTIO_PCI_COMMON_NUMQ);
	cfg_wr(pcicfg + VIRTIO_PCI_CAP_LENGTH, 4, 2);
	assert_int_equal(cfg_rd(pcicfg + 16, 2), 1);
	cfg_wr(pcicfg + VIRTIO_PCI_CAP_OFFSET, 4, VIRTIO_BAR_SIZE - 1);
	cfg_wr(pcicfg + VIRTIO_PCI_CAP_LENGTH, 4, 4);
	cfg_wr(pcicfg + 16, 4, 0xffffffff);
	cfg_wr(pcicfg + VIRTIO_PCI_CAP_OFFSET, 4, VIRTIO_PCI_COMMON_STATUS);
	cfg_wr(pcicfg + VIRTIO_PCI_CAP_LENGTH, 4, 3);
	cfg_wr(pcicfg + 16, 4, 0xff);
	assert_int_equal(status_rd(&f), 0);
	cfg_wr(pcicfg + VIRTIO_PCI_CAP_LENGTH, 4, 1);
	cfg_wr(pcicfg + 16, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	assert_int_equal(status_rd(&f), VIRTIO_CONFIG_S_ACKNOWLEDGE);
	assert_false(vdev->started);
}

static void test_status_rules(void **state)
{
	struct virtio_dev *vdev = fake_virtio_device(&f, "[rng]\n");

	/* DRIVER_OK without FEATURES_OK does not start the device. */
	status_wr(&f, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK);
	assert_false(vdev->started);
	assert_false(status_rd(&f) & VIRTIO_CONFIG_S_DRIVER_OK);
	assert_true(driver_init(&f, FEATURES, 1, QS) & VIRTIO_CONFIG_S_DRIVER_OK);
	assert_true(vdev->started);
	/* Clearing bits without a reset is ignored. */
	status_wr(&f, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	assert_true(status_rd(&f) & VIRTIO_CONFIG_S_DRIVER_OK);
	/* A reset stops the queue's thread and forgets the queues. */
	status_wr(&f, 0);
	assert_false(vdev->started);
	assert_int_equal(status_rd(&f), 0);
	bar_wr(&f, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	assert_int_equal(bar_rd(&f, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	assert_int_equal(bar_rd(&f, VIRTIO_PCI_COMMON_Q_DESCLO, 4), 0);
}

/* The doorbell as KVM is asked for it when BAR0 is decoded, and taken
 * back, with the same length, when it is not. */
/* A VM whose KVM_IOEVENTFD calls are recorded, with or without
 * KVM_CAP_IOEVENTFD_ANY_LENGTH, and virtio-rng on it. */
static void rng_on_recording_vm(bool any_length)
{
	fake_vm_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert_true(fake_vm_fd >= 0);
	f.vm.kvm.vm_fd = fake_vm_fd;
	f.vm.kvm.ioeventfd_any_length = any_length;
	nioeventfds = 0;
	fake_virtio_device(&f, "[rng]\n");
}

static void check_doorbell(bool any_length, unsigned want_len)
{
	rng_on_recording_vm(any_length);
	assert_int_equal(nioeventfds, 1);
	assert_int_equal(ioeventfds[0].addr, f.bar + VIRTIO_BAR_NOTIFY);
	assert_int_equal(ioeventfds[0].len, want_len);
	assert_int_equal(ioeventfds[0].flags, 0);
	assert_true(ioeventfds[0].fd >= 0);
	cfg_wr(PCI_COMMAND, 2, 0);
	assert_int_equal(nioeventfds, 2);
	assert_int_equal(ioeventfds[1].addr, f.bar + VIRTIO_BAR_NOTIFY);
	assert_int_equal(ioeventfds[1].len, want_len);
	assert_int_equal(ioeventfds[1].flags, KVM_IOEVENTFD_FLAG_DEASSIGN);
	assert_int_equal(ioeventfds[1].fd, ioeventfds[0].fd);
}

/* Any length where KVM has it: on Intel that doorbell is signalled from
 * the EPT-misconfiguration exit without emulating the write (the fast MMIO
 * bus takes only length 0), as QEMU's are. */
static void test_doorbell_any_length(void **state)
{
	check_doorbell(true, 0);
}

/* Without KVM_CAP_IOEVENTFD_ANY_LENGTH: the 16-bit write the driver makes. */
static void test_doorbell_two_bytes(void **state)
{
	check_doorbell(false, 2);
}

/* With I/O decoding on, BAR2's doorbells are KVM I/O-port ioeventfds (the
 * 16-bit write the driver makes), next to BAR0's; off again, only they go. */
static void test_doorbell_pio(void **state)
{
	uint16_t port;

	rng_on_recording_vm(true);
	assert_int_equal(nioeventfds, 1);
	port = pio_bar();
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(nioeventfds, 2);
	assert_int_equal(ioeventfds[1].addr, port);
	assert_int_equal(ioeventfds[1].len, 2);
	assert_int_equal(ioeventfds[1].flags, KVM_IOEVENTFD_FLAG_PIO);
	assert_int_equal(ioeventfds[1].fd, ioeventfds[0].fd);
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(nioeventfds, 3);
	assert_int_equal(ioeventfds[2].addr, port);
	assert_int_equal(ioeventfds[2].flags, KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DEASSIGN);
}

/* A port write that KVM did not take (no ioeventfd) rings the queue from
 * BAR2's handler, as from the PCI_CFG window pointed at BAR2; and a
 * hostile driver's reads, odd sizes and offsets past the queues there
 * ring nothing. */
static void test_doorbell_pio_kick(void **state)
{
	uint16_t port;
	uint32_t id, len;
	uint64_t v = 1;
	unsigned pcicfg;

	fake_virtio_device(&f, "[rng]\n");
	pcicfg = find_cap(VIRTIO_PCI_CAP_PCI_CFG);
	port = pio_bar();
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_true(driver_init(&f, FEATURES, 1, QS) & VIRTIO_CONFIG_S_DRIVER_OK);
	for (unsigned i = 0; i < 2; i++) {
		uint16_t *idx = gpa(&f, RING_AVAIL(0) + 2), *ring = gpa(&f, RING_AVAIL(0) + 4);

		put_desc_at(&f, RING_DESC(0), i, BUF + 4096 * i, 64, VRING_DESC_F_WRITE, 0);
		ring[*idx % QS] = (uint16_t)i;
		__atomic_store_n(idx, (uint16_t)(*idx + 1), __ATOMIC_RELEASE);
		if (i == 0) {
			assert_true(bus_write(&f.vm.pio, port, 2, 0));
		} else {
			cfg_wr(pcicfg + VIRTIO_PCI_CAP_BAR, 1, VIRTIO_PIO_BAR);
			cfg_wr(pcicfg + VIRTIO_PCI_CAP_OFFSET, 4, 0);
			cfg_wr(pcicfg + VIRTIO_PCI_CAP_LENGTH, 4, 2);
			cfg_wr(pcicfg + sizeof(struct virtio_pci_cap), 2, 0);
		}
		assert_true(wait_used(&f, 0, (uint16_t)(i + 1), 2000));
		used_elem(&f, 0, QS, i, &id, &len);
		assert_int_equal(id, i);
		assert_int_equal(len, 64);
	}
	/* A third buffer waits; none of what follows may ring for it.
	 * Write-only: reads see 0. Past the one queue's doorbell (the BAR is
	 * 4 bytes), across its end, the window past BAR2 or at BAR3: nothing. */
	put_desc_at(&f, RING_DESC(0), 2, BUF + 4096 * 2, 64, VRING_DESC_F_WRITE, 0);
	((uint16_t *)gpa(&f, RING_AVAIL(0) + 4))[2] = 2;
	__atomic_store_n((uint16_t *)gpa(&f, RING_AVAIL(0) + 2), 3, __ATOMIC_RELEASE);
	assert_true(bus_read(&f.vm.pio, port, 2, &v));
	assert_int_equal(v, 0);
	assert_true(bus_write(&f.vm.pio, port + 2, 2, 0));
	assert_true(bus_write(&f.vm.pio, port + 1, 2, 0));
	cfg_wr(pcicfg + VIRTIO_PCI_CAP_OFFSET, 4, 4);
	cfg_wr(pcicfg + sizeof(struct virtio_pci_cap), 2, 0);
	cfg_wr(pcicfg + VIRTIO_PCI_CAP_OFFSET, 4, 3);
	cfg_wr(pcicfg + sizeof(struct virtio_pci_cap), 2, 0);
	cfg_wr(pcicfg + VIRTIO_PCI_CAP_BAR, 1, 3);
	cfg_wr(pcicfg + VIRTIO_PCI_CAP_OFFSET, 4, 0);
	cfg_wr(pcicfg + sizeof(struct virtio_pci_cap), 2, 0);
	usleep(200000);
	assert_int_equal(used_idx(&f, 0), 2);
	/* A byte-wide write to the doorbell is still a notification. */
	assert_true(bus_write(&f.vm.pio, port, 1, 0));
	assert_true(wait_used(&f, 0, 3, 2000));
	/* I/O decoding off: BAR2 is gone from the bus. */
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_false(bus_write(&f.vm.pio, port, 2, 0));
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity_and_caps),
		T(test_rng_fills_buffers),
		T(test_rng_request_capped),
		T(test_rate_limit),
		T(test_rate_limit_event_idx),
		T(test_feature_negotiation),
		T(test_queue_moved_while_enabled),
		T(test_queue_resized_while_enabled),
		T(test_ring_outside_ram),
		T(test_broken_chain),
		T(test_hostile_accesses),
		T(test_status_rules),
		T(test_doorbell_any_length),
		T(test_doorbell_two_bytes),
		T(test_doorbell_pio),
		T(test_doorbell_pio_kick),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
