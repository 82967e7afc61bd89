/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fake host trees for unit tests of prefix-aware code: a temporary
 * directory laid out like /sys, /proc and /dev (relative symlinks as the
 * kernel makes them), PCI devices with a config space that libpci can
 * walk, and a file-by-file snapshot to prove that a tree is unchanged.
 */
#ifndef PARTVM_TEST_FAKE_SYSFS_H
#define PARTVM_TEST_FAKE_SYSFS_H

#include <stdbool.h>
#include <stdint.h>

struct fake_pci {
	const char *bdf;           /* canonical DDDD:BB:DD.F */
	uint16_t vendor, device;
	uint32_t class_code;       /* 24 bits, e.g. 0x020000 Ethernet */
	int group;                 /* IOMMU group, -1 for none */
	const char *driver;        /* bound driver, NULL for none */
	const char *physfn;        /* for a VF: its PF's BDF */
	unsigned total_vfs;        /* for a PF: sriov_totalvfs */
	bool flr;                  /* PCIe DevCap FLR bit */
	bool acs;                  /* ACS extended capability */
	bool bridge;               /* type 1 header */
	bool boot_vga;
	const char *reset_method;  /* NULL: no reset_method file */
	const char *netdev;        /* a network interface below the device */
	unsigned netdev_flags;     /* its sysfs flags (IFF_UP = 0x1) */
};

/* A new empty tree in /tmp; returns its malloc'ed path (NULL on error). */
char *fake_sysfs_create(void);
/* Remove the tree and free ROOT. */
void fake_sysfs_destroy(char *root);

/* A registered PCI driver: sys/bus/pci/drivers/NAME/{bind,unbind}. */
int fake_sysfs_add_driver(const char *root, const char *name);
int fake_sysfs_add_pci(const char *root, const struct fake_pci *d);

/* Write a file (creating its directories) or a symlink below ROOT. */
int fake_sysfs_write(const char *root, const char *rel, const char *content);
int fake_sysfs_link(const char *root, const char *rel, const char *target);

/* Every directory, file (with content) and link (with target) below ROOT,
 * one per line, sorted; malloc'ed. */
char *fake_sysfs_snapshot(const char *root);

#endif
