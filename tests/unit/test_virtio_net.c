// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-net on real tap devices, in a network namespace of the test's own
 * (with its own /sys), through the transport as a driver sees it: a frame
 * the guest sends leaves the tap (read back with a packet socket), a frame
 * sent into the tap lands in the guest's buffer with its header, spread
 * over several buffers with MRG_RXBUF, or waits until the guest gives a
 * buffer; the control queue's VQ_PAIRS_SET within and past the pairs; a
 * hostile chain breaks the device, a short one is dropped. The host side:
 * an interface that is not a tap, a tap in use (its holder named), a
 * single-queue tap asked for two queues, a missing bridge, a bridge that
 * is not one, a created tap on a bridge, gone with its fds. The [net] keys
 * and --net, and the derived MAC. A received packet's header is complete
 * (num_buffers) before its first buffer reaches the used ring (virtq_push
 * wrapped to look at the buffer at that moment).
 */
// LDFLAGS: -Wl,--wrap=virtq_push
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util/sysfs.h"
#include "core/virtio/tap.h"
#include "tests/unit/virtio_fake.h"

#define QS 256
#define HDRLEN 12
#define BUF 0x400000ULL      /* packet buffers, 64 KiB apart */
#define CTRL_AREA 0x3f0000ULL     /* control commands */
#define FEATURES ((1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_EVENT_IDX) | \
		  (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS))

static struct fake_vm f;

/* num_buffers in each receive buffer of queue 0 (buffer I at BUF + I *
 * 64 KiB, as give_rx puts them) at the moment the device publishes it;
 * -1 until then. Written by the device's thread. */
static int seen_nbufs[4];

void __real_virtq_push(struct virtqueue *vq, uint16_t head, uint32_t len);

void __wrap_virtq_push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	const uint8_t *p;

	if (vq->index == 0 && head < 4 &&
	    (p = memory_guest_ptr(&f.vm.mem, BUF + 0x10000ULL * head, 12)))
		__atomic_store_n(&seen_nbufs[head], p[10] | p[11] << 8, __ATOMIC_RELEASE);
	__real_virtq_push(vq, head, len);
}

static void watch_rx(void)
{
	for (unsigned i = 0; i < 4; i++)
		__atomic_store_n(&seen_nbufs[i], -1, __ATOMIC_RELEASE);
}

static int nbufs_when_published(unsigned i)
{
	return __atomic_load_n(&seen_nbufs[i], __ATOMIC_ACQUIRE);
}

static void write_file(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, v, strlen(v)), (ssize_t)strlen(v));
	close(fd);
}

static bool iface_exists(const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	return stat(path, &st) == 0;
}

/* A packet socket on interface NAME: what the tap sends and receives. */
static int packet_socket(const char *name)
{
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };

	assert_true(s >= 0);
	a.sll_ifindex = (int)if_nametoindex(name);
	assert_true(a.sll_ifindex > 0);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	return s;
}

/* The next frame the host receives on the socket's interface (not its own
 * outgoing ones), or -1 after MS. */
static ssize_t packet_recv(int s, uint8_t *buf, size_t len, int ms)
{
	for (;;) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		if (poll(&p, 1, ms) <= 0)
			return -1;
		n = recvfrom(s, buf, len, 0, (struct sockaddr *)&from, &fl);
		if (n >= 0 && from.sll_pkttype != PACKET_OUTGOING)
			return n;
	}
}

/* A test frame of LEN bytes: broadcast, ethertype 0x88b5, payload SEED+i. */
static void make_frame(uint8_t *fr, size_t len, uint8_t seed)
{
	memset(fr, 0xff, 6);
	memcpy(fr + 6, "\x02\x00\x00\x00\x00\x01", 6);
	fr[12] = 0x88;
	fr[13] = 0xb5;
	for (size_t i = 14; i < len; i++)
		fr[i] = (uint8_t)(seed + i);
}

static struct virtio_dev *start_net(const char *conf, uint64_t features, unsigned nq)
{
	struct virtio_dev *vdev;

	fake_virtio_vm(&f);
	vdev = fake_virtio_device(&f, conf);
	assert_int_equal(driver_init(&f, features, nq, QS) & VIRTIO_CONFIG_S_DRIVER_OK,
			 VIRTIO_CONFIG_S_DRIVER_OK);
	return vdev;
}

/* Give RX queue 0 buffer number I of LEN bytes as its own chain. */
static void give_rx(unsigned i, uint32_t len)
{
	memset(gpa(&f, BUF + 0x10000 * i), 0xee, len);
	put_desc_at(&f, RING_DESC(0), i, BUF + 0x10000 * i, len, VRING_DESC_F_WRITE, 0);
	offer_and_kick(&f, 0, QS, (uint16_t)i);
}

static void test_tx_rx(void **state)
{
	uint8_t fr[200], got[2048], *p;
	uint32_t id, len;
	int s;

	start_net("[net]\ntap = pvt0\nvhost = no\n", FEATURES, 2);
	s = packet_socket("pvt0");

	/* Guest to host: header + frame in two descriptors. */
	make_frame(fr, 100, 1);
	memset(gpa(&f, BUF), 0, HDRLEN);
	memcpy(gpa(&f, BUF + 0x1000), fr, 100);
	put_desc_at(&f, RING_DESC(1), 0, BUF, HDRLEN, VRING_DESC_F_NEXT, 1);
	put_desc_at(&f, RING_DESC(1), 1, BUF + 0x1000, 100, 0, 0);
	offer_and_kick(&f, 1, QS, 0);
	assert_true(wait_used(&f, 1, 1, 5000));
	assert_int_equal(packet_recv(s, got, sizeof(got), 5000), 100);
	assert_memory_equal(got, fr, 100);

	/* Host to guest: the frame with a 12-byte header, num_buffers 1. */
	watch_rx();
	give_rx(2, 2048);
	make_frame(fr, 150, 7);
	assert_int_equal(send(s, fr, 150, 0), 150);
	assert_true(wait_used(&f, 0, 1, 5000));
	used_elem(&f, 0, QS, 0, &id, &len);
	assert_int_equal(id, 2);
	assert_int_equal(len, HDRLEN + 150);
	p = gpa(&f, BUF + 0x20000);
	assert_int_equal(p[10] | p[11] << 8, 1);
	/* ... and it was there when the buffer went to the used ring. */
	assert_int_equal(nbufs_when_published(2), 1);
	assert_memory_equal(p + HDRLEN, fr, 150);
	close(s);
	fake_virtio_free(&f);
	assert_false(iface_exists("pvt0"));   /* created, so gone with partvm */
}

static void test_rx_mergeable(void **state)
{
	uint8_t fr[150], *p;
	uint32_t id, len;
	int s;

	start_net("[net]\ntap = pvt1\nvhost = no\n", FEATURES | (1ULL << VIRTIO_NET_F_MRG_RXBUF), 2);
	s = packet_socket("pvt1");
	/* A frame waits in the tap until the guest gives buffers. */
	make_frame(fr, 150, 3);
	assert_int_equal(send(s, fr, 150, 0), 150);
	usleep(100 * 1000);
	assert_int_equal(used_idx(&f, 0), 0);
	watch_rx();
	for (unsigned i = 0; i < 3; i++)
		give_rx(i, 64);
	assert_true(wait_used(&f, 0, 3, 5000));
	for (unsigned i = 0; i < 3; i++) {
		used_elem(&f, 0, QS, (uint16_t)i, &id, &len);
		assert_int_equal(id, i);
		assert_int_equal(len, i < 2 ? 64 : HDRLEN + 150 - 128);
	}
	p = gpa(&f, BUF);
	assert_int_equal(p[10] | p[11] << 8, 3);
	/* The header was whole before the driver could see the first buffer:
	 * a write after it would land in memory the guest may have reused. */
	assert_int_equal(nbufs_when_published(0), 3);
	assert_memory_equal(p + HDRLEN, fr, 64 - HDRLEN);
	assert_memory_equal(gpa(&f, BUF + 0x10000), fr + 64 - HDRLEN, 64);
	assert_memory_equal(gpa(&f, BUF + 0x20000), fr + 128 - HDRLEN, 150 - 128 + HDRLEN);
	close(s);
	fake_virtio_free(&f);
}

static void test_hostile(void **state)
{
	start_net("[net]\ntap = pvt2\nvhost = no\n", FEATURES, 2);
	/* Four bytes, less than a header: dropped, given back. */
	put_desc_at(&f, RING_DESC(1), 0, BUF, 4, 0, 0);
	offer_and_kick(&f, 1, QS, 0);
	assert_true(wait_used(&f, 1, 1, 5000));
	assert_false(status_rd(&f) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* A buffer past guest RAM: the device needs a reset. */
	put_desc_at(&f, RING_DESC(1), 1, FAKE_RAM - 8, 64, 0, 0);
	offer_and_kick(&f, 1, QS, 1);
	for (int i = 0; i < 5000 && !(status_rd(&f) & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(1000);
	assert_true(status_rd(&f) & VIRTIO_CONFIG_S_NEEDS_RESET);
	fake_virtio_free(&f);
}

/* CPU time (ms) of this process's thread named NAME. */
static long thread_cpu_ms(const char *name)
{
	char path[300], comm[32], stat[1024];
	long total = -1;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d))) {
		FILE *f;
		unsigned long ut, st;
		char *p;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
		comm[strcspn(comm, "\n")] = 0;
		if (strcmp(comm, name))
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", e->d_name);
		f = fopen(path, "re");
		assert_non_null(f);
		assert_non_null(fgets(stat, sizeof(stat), f));
		fclose(f);
		p = strrchr(stat, ')');
		assert_int_equal(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
					&ut, &st), 2);
		total = (long)((ut + st) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
	}
	closedir(d);
	return total;
}

/* A broken RX queue with a frame waiting in the tap: the queue's thread
 * waits for the driver's reset, it does not spin on the readable tap
 * (it did: found by fuzz_virtio_devices). */
static void test_rx_broken_waits(void **state)
{
	uint8_t fr[100];
	long before, after;
	int s;

	start_net("[net]\ntap = pvt7\nvhost = no\n", FEATURES, 2);
	s = packet_socket("pvt7");
	put_desc_at(&f, RING_DESC(0), 0, FAKE_RAM - 8, 64, VRING_DESC_F_WRITE, 0);
	offer_and_kick(&f, 0, QS, 0);
	make_frame(fr, 100, 5);
	assert_int_equal(send(s, fr, 100, 0), 100);
	for (int i = 0; i < 5000 && !(status_rd(&f) & VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep(1000);
	assert_true(status_rd(&f) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* The first frame is taken from the tap and held; the next stays
	 * there, readable. */
	assert_int_equal(send(s, fr, 100, 0), 100);
	usleep(50 * 1000);
	before = thread_cpu_ms("net-rx0");
	assert_true(before >= 0);
	usleep(500 * 1000);
	after = thread_cpu_ms("net-rx0");
	if (after - before > 100)
		fail_msg("the RX thread ran %ld ms of 500 with nothing to do", after - before);
	close(s);
	fake_virtio_free(&f);
}

/* A control command CLASS/CMD with a 16-bit argument; returns the ack. */
static uint8_t ctrl(unsigned q, uint16_t head, uint8_t cls, uint8_t cmd, uint16_t arg)
{
	uint8_t *c = gpa(&f, CTRL_AREA + 0x100 * head);

	c[0] = cls;
	c[1] = cmd;
	memcpy(c + 2, &arg, 2);
	c[16] = 0xaa;
	put_desc_at(&f, RING_DESC(q), head, CTRL_AREA + 0x100 * head, 4, VRING_DESC_F_NEXT,
		    (uint16_t)(head + 1));
	put_desc_at(&f, RING_DESC(q), head + 1, CTRL_AREA + 0x100 * head + 16, 1, VRING_DESC_F_WRITE, 0);
	offer_and_kick(&f, q, QS, head);
	assert_true(wait_used(&f, q, (uint16_t)(head / 2 + 1), 5000));
	return c[16];
}

static void test_ctrl_queue_pairs(void **state)
{
	uint64_t feat = FEATURES | (1ULL << VIRTIO_NET_F_CTRL_VQ) | (1ULL << VIRTIO_NET_F_MQ);
	uint16_t pairs;

	/* Two pairs: queues 0-3, the control queue is 4. */
	start_net("[net]\ntap = pvt3\nqueues = 2\nvhost = no\n", feat, 5);
	bar_rd(&f, VIRTIO_BAR_DEVICE + 8, 2);
	pairs = (uint16_t)bar_rd(&f, VIRTIO_BAR_DEVICE + 8, 2);
	assert_int_equal(pairs, 2);
	assert_int_equal(ctrl(4, 0, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2),
			 VIRTIO_NET_OK);
	assert_int_equal(ctrl(4, 2, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 3),
			 VIRTIO_NET_ERR);
	assert_int_equal(ctrl(4, 4, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 0),
			 VIRTIO_NET_ERR);
	assert_int_equal(ctrl(4, 6, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 1),
			 VIRTIO_NET_OK);
	/* Not offered: the RX mode class. */
	assert_int_equal(ctrl(4, 8, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, 1), VIRTIO_NET_ERR);
	fake_virtio_free(&f);

	/* Without MQ the control queue is queue 2, whatever the pairs. */
	start_net("[net]\ntap = pvt3\nqueues = 2\nvhost = no\n",
		  FEATURES | (1ULL << VIRTIO_NET_F_CTRL_VQ), 3);
	assert_int_equal(ctrl(2, 0, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2),
			 VIRTIO_NET_ERR);
	fake_virtio_free(&f);
}

static void test_mac(void **state)
{
	uint8_t mac[6], again[6];

	start_net("[net]\ntap = pvt4\nvhost = no\n", FEATURES, 2);
	for (unsigned i = 0; i < 6; i++)
		mac[i] = (uint8_t)bar_rd(&f, VIRTIO_BAR_DEVICE + i, 1);
	assert_int_equal(mac[0], 0x02);   /* locally administered, unicast */
	assert_int_equal(bar_rd(&f, VIRTIO_BAR_DEVICE + 6, 2), VIRTIO_NET_S_LINK_UP);
	fake_virtio_free(&f);
	start_net("[net]\ntap = pvt4\nvhost = no\n", FEATURES, 2);
	for (unsigned i = 0; i < 6; i++)
		again[i] = (uint8_t)bar_rd(&f, VIRTIO_BAR_DEVICE + i, 1);
	assert_memory_equal(mac, again, 6);   /* the same partition, the same MAC */
	fake_virtio_free(&f);
	start_net("[net]\ntap = pvt4\nmac = 52:54:00:12:34:56\nvhost = no\n", FEATURES, 2);
	assert_int_equal(bar_rd(&f, VIRTIO_BAR_DEVICE + 5, 1), 0x56);
	fake_virtio_free(&f);
}

static void expect_config_error(const char *text, const char *want)
{
	struct vm_config c;
	struct config_error err = { { 0 } };
	char full[1024];
	int r;

	snprintf(full, sizeof(full), "%s[boot]\nkernel = /proc/self/exe\n", text);
	config_init(&c, board_device_types);
	r = config_load_string(&c, "p.conf", full, &err);
	if (r == 0)
		r = config_validate(&c, &err);
	if (r == 0)
		r = devices_preflight(&c, &err);
	assert_true(r < 0);
	if (!strstr(err.msg, want))
		fail_msg("want '%s' in '%s'", want, err.msg);
	config_free(&c);
}

static void test_config(void **state)
{
	struct vm_config c;
	const char *why;

	expect_config_error("[net]\nmac = 02:00:00:00:00:01\n",
			    "p.conf:1: [net] needs 'tap = NAME' or 'bridge = BRIDGE'");
	expect_config_error("[net]\ntap = a\nmac = 03:00:00:00:00:01\n", "multicast");
	expect_config_error("[net]\ntap = a\nmac = 02:00:00\n", "not a MAC address");
	expect_config_error("[net]\ntap = a\nqueues = 17\n", "1 to 16");
	expect_config_error("[net]\ntap = a\nvhost = maybe\n", "expected yes, no or auto");
	expect_config_error("[net]\ntap = abcdefghijklmnop\n", "not an interface name");
	expect_config_error("[net]\ntap = a/b\n", "not an interface name");
	expect_config_error("[net]\ntap = t1\n[net]\ntap = t1\n",
			    "p.conf:4: net: tap 't1' is already this partition's (line 2)");
	expect_config_error("[net]\nbridge = nobr0\n",
			    "p.conf:2: net: bridge 'nobr0' does not exist");
	expect_config_error("[net]\nbridge = lo\n", "p.conf:2: net: 'lo' is not a bridge");
	expect_config_error("[net]\ntap = lo\n", "p.conf:2: net: 'lo' exists and is not a tap device");
	config_init(&c, board_device_types);
	assert_int_equal(config_add_option(&c, config_find_type(&c, "virtio-net"),
					   "bridge=br0,mac=02:01:02:03:04:05,queues=2,vhost=no", &why), 0);
	assert_int_equal(config_add_option(&c, config_find_type(&c, "virtio-net"), "tap", &why),
			 -EINVAL);
	assert_non_null(strstr(why, "KEY=VALUE"));
	assert_int_equal(config_add_option(&c, config_find_type(&c, "virtio-net"), "colour=red", &why),
			 -EINVAL);
	assert_non_null(strstr(why, "unknown option"));
	assert_int_equal(c.ndevices, 1);
	config_free(&c);
}

static int make_bridge(const char *name)
{
	int s = socket(AF_LOCAL, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r = ioctl(s, SIOCBRADDBR, name);

	close(s);
	return r;
}

static void test_tap_host_side(void **state)
{
	struct tap_request req = { .name = "pvt5", .nqueues = 1, .owner = (uid_t)-1, .root = "" };
	struct tap t, t2;
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	char why[256], link[64];
	int fd;

	/* Created and put on a bridge; gone, and off it, with its fds. */
	assert_int_equal(make_bridge("pvbr0"), 0);
	req.bridge = "pvbr0";
	assert_int_equal(tap_open(&t, &req, why, sizeof(why)), 0);
	assert_true(t.created);
	assert_int_equal(sysfs_read_link("", "/sys/class/net/pvt5/master", link, sizeof(link)), 0);
	assert_string_equal(link, "pvbr0");
	/* A tap in use: its holder named (this test), also when a bridge is
	 * asked for (another partvm's tap, not one to refuse for being old). */
	assert_int_equal(tap_check(&req, why, sizeof(why)), -EBUSY);
	assert_non_null(strstr(why, "tap 'pvt5' is in use by test_virtio_net (pid "));
	req.bridge = NULL;
	assert_int_equal(tap_check(&req, why, sizeof(why)), -EBUSY);
	assert_non_null(strstr(why, "tap 'pvt5' is in use by test_virtio_net (pid "));
	tap_close(&t);
	assert_false(iface_exists("pvt5"));

	/* Someone's persistent single-queue tap: ours to use, not to enslave,
	 * and not with two queues. */
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "pvt6");
	assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
	assert_int_equal(ioctl(fd, TUNSETPERSIST, 1), 0);
	close(fd);
	req.name = "pvt6";
	req.nqueues = 2;
	assert_int_equal(tap_check(&req, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "tap 'pvt6' has one queue and 2 were asked for"));
	req.nqueues = 1;
	req.bridge = "pvbr0";
	assert_int_equal(tap_check(&req, why, sizeof(why)), -EEXIST);
	assert_non_null(strstr(why, "partvm puts on a bridge only a tap it creates"));
	req.bridge = NULL;
	assert_int_equal(tap_open(&t2, &req, why, sizeof(why)), 0);
	assert_false(t2.created);
	tap_close(&t2);
	assert_true(iface_exists("pvt6"));   /* not ours: it stays */
}

static int setup(void **state)
{
	return 0;
}

static int teardown(void **state)
{
	return 0;
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tx_rx),
		T(test_rx_mergeable),
		T(test_hostile),
		T(test_rx_broken_waits),
		T(test_ctrl_queue_pairs),
		T(test_mac),
		T(test_config),
		T(test_tap_host_side),
	};

	/* A network namespace of our own, with a /sys that shows it, and no
	 * IPv6 chatter on the taps. Needs root, as `make check` is run. */
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("sysfs", "/sys", "sysfs", 0, NULL) < 0) {
		fprintf(stderr, "test_virtio_net: needs root (a network namespace of its own): %m\n");
		return 1;
	}
	write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
