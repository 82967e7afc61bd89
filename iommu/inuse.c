// SPDX-License-Identifier: GPL-2.0-only
/*
 * Is a PCI device in use by the host? Taking such a device away from its
 * driver loses the console, the root filesystem, a mounted disk or the
 * network the host is reached through, so binding it is refused.
 */
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/cleanup.h"
#include "core/util/process.h"
#include "core/util/sysfs.h"
#include "iommu/internal.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct ifaddrs *, freeifaddrs)

struct reasons {
	char *buf;
	size_t len;
	int count;
};

static void add_reason(struct reasons *rs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_reason(struct reasons *rs, const char *fmt, ...)
{
	size_t used = strlen(rs->buf);
	va_list ap;

	if (rs->count++ && used + 2 < rs->len) {
		strcpy(rs->buf + used, "; ");
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(rs->buf + used, rs->len - used, fmt, ap);
	va_end(ap);
}

/* Does the sysfs object ROOT/REL resolve to a path below device BDF? */
static bool below_device(const char *root, const char *rel, const char *bdf)
{
	char p[PATH_MAX], real[PATH_MAX], needle[IOMMU_BDF_LEN + 2];

	if (iommu_path(p, sizeof(p), root, "%s", rel) < 0 || !realpath(p, real))
		return false;
	snprintf(needle, sizeof(needle), "/%s", bdf);
	for (char *s = strstr(real, needle); s; s = strstr(s + 1, needle))
		if (s[strlen(needle)] == '/' || s[strlen(needle)] == '\0')
			return true;
	return false;
}

struct mount_entry {
	unsigned major, minor;
	char point[256];
	char fstype[64];
	char source[256];
};

/* Parse one /proc/PID/mountinfo line (proc(5)); 0 or -EINVAL. */
static int parse_mountinfo(const char *line, struct mount_entry *m)
{
	const char *sep;

	if (sscanf(line, "%*u %*u %u:%u %*s %255s", &m->major, &m->minor, m->point) != 3)
		return -EINVAL;
	sep = strstr(line, " - ");
	if (!sep || sscanf(sep + 3, "%63s %255s", m->fstype, m->source) != 2)
		return -EINVAL;
	return 0;
}

/* Call FN for each mount of ROOT/proc/self/mountinfo until it returns non-zero. */
static int for_each_mount(const char *root, int (*fn)(const struct mount_entry *, void *), void *ud)
{
	char p[PATH_MAX], line[1024];
	_cleanup_fclose_ FILE *f = NULL;
	struct mount_entry m;
	int r;

	r = iommu_path(p, sizeof(p), root, "/proc/self/mountinfo");
	if (r < 0)
		return r;
	f = fopen(p, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		if (parse_mountinfo(line, &m) < 0)
			continue;
		r = fn(&m, ud);
		if (r)
			return r;
	}
	return 0;
}

/* Is block device MAJ:MIN, or any device it is built on (dm, md: slaves/),
 * below BDF? */
static bool blockdev_below(const char *root, unsigned maj, unsigned min, const char *bdf, int depth)
{
	char rel[PATH_MAX], p[PATH_MAX];
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	snprintf(rel, sizeof(rel), "/sys/dev/block/%u:%u", maj, min);
	if (below_device(root, rel, bdf))
		return true;
	if (depth > 8 || iommu_path(p, sizeof(p), root, "%s/slaves", rel) < 0)
		return false;
	d = opendir(p);
	if (!d)
		return false;
	while ((de = readdir(d))) {
		char dev[32];
		unsigned a, b;
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/class/block/%s/dev", de->d_name);
		if (sysfs_read(root, p, dev, sizeof(dev)) > 0 && sscanf(dev, "%u:%u", &a, &b) == 2 &&
		    blockdev_below(root, a, b, bdf, depth + 1))
			return true;
	}
	return false;
}

struct mount_query {
	const char *root;
	const char *bdf;
	struct reasons *rs;
};

/* Is the virtio device carrying 9p share TAG below the PCI device BDF? */
static bool virtio_9p_below(const char *root, const char *tag, const char *bdf)
{
	char p[PATH_MAX], value[256];
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	if (iommu_path(p, sizeof(p), root, "/sys/bus/virtio/devices") < 0 || !(d = opendir(p)))
		return false;
	while ((de = readdir(d))) {
		char rel[PATH_MAX];
		if (de->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "/sys/bus/virtio/devices/%s/mount_tag", de->d_name);
		if (sysfs_read(root, rel, value, sizeof(value)) < 0 || strcmp(value, tag) != 0)
			continue;
		snprintf(rel, sizeof(rel), "/sys/bus/virtio/devices/%s", de->d_name);
		if (below_device(root, rel, bdf))
			return true;
	}
	return false;
}

/* The root filesystem on a block device (or dm/md built on one), and any
 * virtio-9p share (the lab's root and shares are such). Other block mounts
 * are found per disk in check_block(). */
static int check_mount(const struct mount_entry *m, void *ud)
{
	struct mount_query *q = ud;
	bool root = !strcmp(m->point, "/");

	if (m->major != 0) {
		if (root && blockdev_below(q->root, m->major, m->minor, q->bdf, 0))
			add_reason(q->rs, "holds the root filesystem");
		return 0;
	}
	if (strcmp(m->fstype, "9p") != 0 || !virtio_9p_below(q->root, m->source, q->bdf))
		return 0;
	if (root)
		add_reason(q->rs, "holds the root filesystem");
	else
		add_reason(q->rs, "virtio-9p share %s is mounted on %s", m->source, m->point);
	return 0;
}

struct mounted_query {
	unsigned major, minor;
	char point[256];
};

static int find_mount(const struct mount_entry *m, void *ud)
{
	struct mounted_query *q = ud;

	if (m->major != q->major || m->minor != q->minor)
		return 0;
	snprintf(q->point, sizeof(q->point), "%s", m->point);
	return 1;
}

static bool in_swaps(const char *root, const char *name)
{
	char p[PATH_MAX], line[512], dev[256];
	_cleanup_fclose_ FILE *f = NULL;

	if (iommu_path(p, sizeof(p), root, "/proc/swaps") < 0 || !(f = fopen(p, "re")))
		return false;
	while (fgets(line, sizeof(line), f)) {
		const char *base;
		if (sscanf(line, "%255s", dev) != 1)
			continue;
		base = strrchr(dev, '/');
		if (base && !strcmp(base + 1, name))
			return true;
	}
	return false;
}

/* Disks and partitions below BDF: mounted, swap, or held (dm, md, bcache). */
static void check_block(const struct iommu_host *h, const char *bdf, struct reasons *rs)
{
	char p[PATH_MAX];
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	if (iommu_path(p, sizeof(p), h->root, "/sys/class/block") < 0 || !(d = opendir(p)))
		return;
	while ((de = readdir(d))) {
		char rel[PATH_MAX], dev[32];
		struct mounted_query q = { 0 };
		_cleanup_(closedirp) DIR *hd = NULL;
		struct dirent *he;

		if (de->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "/sys/class/block/%s", de->d_name);
		if (!below_device(h->root, rel, bdf))
			continue;
		snprintf(rel, sizeof(rel), "/sys/class/block/%s/dev", de->d_name);
		if (sysfs_read(h->root, rel, dev, sizeof(dev)) > 0 &&
		    sscanf(dev, "%u:%u", &q.major, &q.minor) == 2 &&
		    for_each_mount(h->root, find_mount, &q) > 0)
			add_reason(rs, "block device %s is mounted on %s", de->d_name, q.point);
		if (in_swaps(h->root, de->d_name))
			add_reason(rs, "block device %s is used as swap", de->d_name);
		if (iommu_path(p, sizeof(p), h->root, "/sys/class/block/%s/holders", de->d_name) < 0 ||
		    !(hd = opendir(p)))
			continue;
		while ((he = readdir(hd)))
			if (he->d_name[0] != '.') {
				add_reason(rs, "block device %s is held by %s", de->d_name, he->d_name);
				break;
			}
	}
}

static bool has_address(const struct ifaddrs *list, const char *ifname)
{
	/* Link-layer (AF_PACKET) entries exist for every interface; only
	 * network-layer addresses mean the host is using it. */
	for (const struct ifaddrs *a = list; a; a = a->ifa_next)
		if (a->ifa_addr && (a->ifa_addr->sa_family == AF_INET || a->ifa_addr->sa_family == AF_INET6) &&
		    !strcmp(a->ifa_name, ifname))
			return true;
	return false;
}

/* Network interfaces of BDF that are up or carry an address. Addresses come
 * from the kernel by netlink (getifaddrs), which has no root prefix; a test
 * tree's interface names do not exist on the host, so none are found. */
static void check_net(const struct iommu_host *h, const char *bdf, struct reasons *rs)
{
	char p[PATH_MAX];
	_cleanup_(closedirp) DIR *d = NULL;
	_cleanup_(freeifaddrsp) struct ifaddrs *addrs = NULL;
	struct dirent *de;

	if (iommu_path(p, sizeof(p), h->root, "/sys/bus/pci/devices/%s/net", bdf) < 0 || !(d = opendir(p)))
		return;
	if (getifaddrs(&addrs) < 0)
		addrs = NULL;
	while ((de = readdir(d))) {
		char rel[PATH_MAX];
		uint64_t flags = 0;
		bool up, addr;

		if (de->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "/sys/class/net/%s/flags", de->d_name);
		up = sysfs_read_u64(h->root, rel, &flags) == 0 && (flags & IFF_UP);
		addr = has_address(addrs, de->d_name);
		if (up || addr)
			add_reason(rs, "network interface %s is %s", de->d_name,
				   up && addr ? "up with an address" : up ? "up" : "configured with an address");
	}
}

/* DRM nodes (cardN, renderDN) of BDF that some process has open. */
static void check_drm(const struct iommu_host *h, const char *bdf, struct reasons *rs)
{
	char p[PATH_MAX];
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	if (iommu_path(p, sizeof(p), h->root, "/sys/bus/pci/devices/%s/drm", bdf) < 0 || !(d = opendir(p)))
		return;
	while ((de = readdir(d))) {
		char node[300], comm[64];
		pid_t pid;

		if (de->d_name[0] == '.')
			continue;
		snprintf(node, sizeof(node), "/dev/dri/%s", de->d_name);
		/* No SKIP: partvm holding the node counts as well. */
		pid = process_find_opener(h->root, node, 0, comm, sizeof(comm));
		if (pid)
			add_reason(rs, "DRM device %s is open by pid %d (%s)", de->d_name, (int)pid, comm);
	}
}

int iommu_device_usage(const struct iommu_host *h, const char *bdf, char *reason, size_t len)
{
	struct reasons rs = { .buf = reason, .len = len };
	struct mount_query mq = { .root = h->root, .bdf = bdf, .rs = &rs };
	char rel[PATH_MAX], v[8];
	int r;

	if (len == 0)
		return -EINVAL;
	reason[0] = '\0';
	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/boot_vga", bdf);
	if (sysfs_read(h->root, rel, v, sizeof(v)) > 0 && !strcmp(v, "1"))
		add_reason(&rs, "boot VGA device (the host console)");
	r = for_each_mount(h->root, check_mount, &mq);
	if (r < 0)
		return r;
	check_block(h, bdf, &rs);
	check_net(h, bdf, &rs);
	check_drm(h, bdf, &rs);
	return rs.count > 0;
}
