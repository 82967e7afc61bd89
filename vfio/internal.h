/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inside vfio/: the IOMMU backend interface, the VFIO device (regions,
 * IRQs), and the PCI device model built on it. One concern per file:
 *   container.c  the type1 container backend (groups, DMA map)
 *   device.c     the device fd: regions, sparse mmap, IRQs, reset
 *   config.c     config space: what is read from the device, what is
 *                virtualized, which capabilities the guest sees
 *   bar.c        BARs: KVM memory slots for mmap-able parts, traps for
 *                the rest, moves
 *   rom.c        the expansion ROM (the device's, or rom = FILE)
 *   msi.c msix.c the two capabilities and the MSI-X table and PBA
 *   intx.c       INTx through an irqfd with a resamplefd
 *   pci.c        the device model: create, attach, detach, reset
 *   host.c       managed binding, pool VFs, and what "held" means
 *   vm.c         the VM component hooks of vfio.h
 */
#ifndef PARTVM_VFIO_INTERNAL_H
#define PARTVM_VFIO_INTERNAL_H

#include <linux/vfio.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/vm/msi.h"
#include "core/util/ratelimit.h"
#include "core/vm/pci.h"
#include "iommu/iommu.h"

struct vm;

/* ---- The IOMMU backend ---------------------------------------------------
 * Debian's 6.1 and 6.12 kernels have only the container API (no iommufd);
 * an iommufd backend would implement the same operations with device
 * cdevs and an IOAS. */
struct vfio_backend;

struct vfio_backend_ops {
	const char *name;
	/* Open BDF's device, attaching what it needs (its IOMMU group
	 * GROUP_PATH) to the backend's IOMMU context. Returns the device fd,
	 * or -ENOENT (no group node: not on vfio-pci), -EBUSY (the group is
	 * open elsewhere), -EPERM (the group is not viable), another errno. */
	int (*open_device)(struct vfio_backend *b, const char *bdf, const char *group_path);
	/* Map [VADDR, VADDR+SIZE) for device DMA at IOVA, pinning it. */
	int (*map_dma)(struct vfio_backend *b, uint64_t iova, uint64_t size, void *vaddr);
	int (*unmap_dma)(struct vfio_backend *b, uint64_t iova, uint64_t size);
	/* Add every attached group (or device) to the KVM-VFIO device. */
	int (*kvm_register)(struct vfio_backend *b, int kvm_vfio_fd);
	void (*free)(struct vfio_backend *b);
};

struct vfio_backend {
	const struct vfio_backend_ops *ops;
};

/* The type1v2 container of /dev/vfio/vfio under ROOT ("" = this host). */
int vfio_container_new(const char *root, struct vfio_backend **out);

/* ---- The device fd -------------------------------------------------------- */

#define VFIO_MAX_AREAS 8

/* A part of a region that can be mmap'ed (the whole region, or one area
 * of its sparse-mmap capability). */
struct vfio_area {
	uint64_t offset, size;
	void *map;                       /* host mapping, once mapped */
};

struct vfio_region {
	uint32_t flags;                  /* VFIO_REGION_INFO_FLAG_* */
	uint64_t size;
	uint64_t offset;                 /* of the region in the device fd */
	unsigned nareas;
	struct vfio_area areas[VFIO_MAX_AREAS];
	bool msix_mappable;              /* VFIO_REGION_INFO_CAP_MSIX_MAPPABLE */
};

struct vfio_dev {
	char bdf[IOMMU_BDF_LEN];
	int fd;
	uint32_t flags;                  /* VFIO_DEVICE_FLAGS_* */
	struct vfio_region regions[VFIO_PCI_NUM_REGIONS];
	uint32_t irq_count[VFIO_PCI_NUM_IRQS];
};

/* Take FD (a vfio-pci device) and read its regions and IRQs. */
int vfio_dev_setup(struct vfio_dev *d, int fd, const char *bdf);
void vfio_dev_close(struct vfio_dev *d);
int vfio_dev_reset(struct vfio_dev *d);
/* Region I/O; a short transfer is -EIO. */
int vfio_dev_read(const struct vfio_dev *d, unsigned region, uint64_t off, void *buf, size_t len);
int vfio_dev_write(const struct vfio_dev *d, unsigned region, uint64_t off, const void *buf,
		   size_t len);
/* mmap every area of REGION (nothing to do without FLAG_MMAP). */
int vfio_dev_map_region(struct vfio_dev *d, unsigned region);
/* VFIO_DEVICE_SET_IRQS: ACTION for vectors [START, START+COUNT) of INDEX,
 * with eventfds FDS (-1: none for that vector), or DATA_NONE when FDS is
 * NULL (COUNT 0 then disables the index). */
int vfio_dev_set_irqs(const struct vfio_dev *d, unsigned index, uint32_t action, unsigned start,
		      unsigned count, const int *fds);

/* ---- The PCI device model ------------------------------------------------- */


struct vfio_msi {
	unsigned cap;                    /* config offset, 0 if none */
	unsigned max;                    /* vectors the device can do (1..32) */
	bool is64, maskable;
	bool enabled;
	unsigned count;                  /* vectors enabled on the device */
	struct msi_vector vec[32];          /* vfio-pci signals their eventfds */
};

struct vfio_msix {
	unsigned cap;                    /* config offset, 0 if none */
	unsigned nvec;
	unsigned table_bar, pba_bar;
	uint64_t table_off, pba_off;     /* within those BARs */
	unsigned hw_count;               /* vectors enabled on the device */
	struct msix_table table;         /* the guest's table, enable, function mask */
	struct msi_vector *vec;
};

struct vfio_intx {
	unsigned pin;                    /* 0: no INTx */
	int trigger, unmask;             /* eventfds: VFIO -> KVM, KVM -> VFIO */
	bool on;                         /* wired to the device and KVM */
};

/* A part of a BAR the guest reaches directly through a KVM memory slot. */
struct vfio_piece {
	uint64_t off, len;               /* within the BAR */
	void *host;
	int slot;                        /* KVM memory slot this boot, -1 none */
	bool mapped;
};

/* A part that exits to partvm: the MSI-X table and PBA, I/O BARs, what
 * cannot be mmap'ed or is smaller than a page. */
struct vfio_trap {
	struct vfio_pci *p;
	unsigned bar;
	uint64_t off, len;               /* within the BAR */
	uint64_t gpa;                    /* where it is registered */
	bool registered;
};

#define VFIO_BAR_PARTS (VFIO_MAX_AREAS + 4)

struct vfio_bar {
	enum pci_bar_type type;          /* PCI_BAR_NONE for an unused index */
	uint64_t size;
	unsigned npieces, ntraps;
	struct vfio_piece pieces[VFIO_BAR_PARTS];
	struct vfio_trap traps[VFIO_BAR_PARTS + 1];
};

struct vfio_rom {
	uint8_t *data;                   /* SIZE bytes, zero-padded */
	uint64_t size;                   /* a power of two, 0 without ROM */
	uint64_t gpa;
	bool mapped;
	bool from_file;
	bool unusable;                   /* the device has one the guest cannot get */
	char state[200];                 /* for the log: "the device's, 64 KiB", "off"... */
};

struct vfio_pci {
	struct pci_device pci;           /* first: the bus hands this back */
	struct vm *vm;
	/* Called before the guest's first bus-master enable reaches the
	 * device: 0 once guest RAM is mapped for DMA, or the map's error
	 * (then the device is not let master). NULL: always ready. */
	int (*dma_ready)(void *opaque);
	void *dma_opaque;
	struct vfio_dev dev;
	/* MSI, MSI-X and INTx state: config writes (under the PCI host lock)
	 * and MSI-X table accesses (vCPU threads) both change it. */
	pthread_mutex_t lock;
	uint8_t emu[PCI_CONFIG_SIZE];    /* 1: the byte is virtualized */
	unsigned cfg_size;               /* of the device's config region */
	struct vfio_bar bars[PCI_NUM_BARS];
	struct vfio_rom rom;
	struct vfio_msi msi;
	struct vfio_msix msix;
	struct vfio_intx intx;
	char reset_methods[128];         /* sysfs reset_method, for the log */
	/* Warnings a guest can trigger (its interrupt setup failing, once
	 * per table write): a few, then a count. */
	struct ratelimit rl;
};

/* pci.c: create the model of device FD (BDF), reset it, and plug it into
 * the VM's PCI bus at SLOT as function FN (pci_host_add_function(); SLOT
 * -1: function 0 of the first free slot). ROM_PATH overrides the device's
 * ROM; ROM_OFF gives the guest none. ERR gets one line on failure. */
int vfio_pci_create(struct vm *vm, int fd, const char *bdf, int slot, unsigned fn,
		    const char *rom_path, bool rom_off, struct vfio_pci **out, char *err, size_t errlen);
void vfio_pci_free(struct vfio_pci *p);
int vfio_pci_attach(struct vfio_pci *p);
void vfio_pci_detach(struct vfio_pci *p);

/* config.c */
int vfio_config_init(struct vfio_pci *p, char *err, size_t errlen);
uint32_t vfio_config_read(struct pci_device *d, unsigned offset, unsigned size);
void vfio_config_write(struct pci_device *d, unsigned offset, unsigned size, uint32_t value);
void vfio_config_reset(struct vfio_pci *p);

/* bar.c */
int vfio_bars_init(struct vfio_pci *p, char *err, size_t errlen);
int vfio_bar_map(struct pci_device *d, unsigned index, uint64_t addr, bool enable);
int vfio_bars_attach(struct vfio_pci *p);
void vfio_bars_detach(struct vfio_pci *p);
/* Take every BAR out of the guest (the device is going away). */
void vfio_bars_free(struct vfio_pci *p);

/* rom.c */
int vfio_rom_init(struct vfio_pci *p, const char *path, bool off, char *err, size_t errlen);
/* 0 when ROM (LEN bytes) starts with an expansion ROM image made for
 * VENDOR:DEVICE; else -EINVAL and WHY says what it is ("is an image for
 * device 10de:1b80, not this device's 10de:1c82"). */
int vfio_rom_check_image(const uint8_t *rom, size_t len, uint16_t vendor, uint16_t device, char *why,
			 size_t whylen);
int vfio_rom_map(struct vfio_pci *p, uint64_t addr, bool enable);
void vfio_rom_free(struct vfio_pci *p);

/* msi.c, msix.c, intx.c. The *_stop, intx enable/disable and
 * msi_vector_update need p->lock held (or no vCPU running); the others
 * take it. */
int vfio_msi_init(struct vfio_pci *p, unsigned cap);
void vfio_msi_config_written(struct vfio_pci *p);
uint32_t vfio_msi_pending_bits(struct vfio_pci *p);
/* Stop: interrupts off on the device, routes dropped; the guest's
 * registers stay. Reset: also the registers, as after a device reset. */
void vfio_msi_stop(struct vfio_pci *p);
void vfio_msi_reset(struct vfio_pci *p);

/* msix.c */
int vfio_msix_init(struct vfio_pci *p, unsigned cap);
void vfio_msix_config_written(struct vfio_pci *p);
bool vfio_msix_table_hit(const struct vfio_pci *p, unsigned bar, uint64_t off, unsigned size);
bool vfio_msix_pba_hit(const struct vfio_pci *p, unsigned bar, uint64_t off, unsigned size);
uint64_t vfio_msix_table_read(struct vfio_pci *p, uint64_t off, unsigned size);
void vfio_msix_table_write(struct vfio_pci *p, uint64_t off, unsigned size, uint64_t value);
uint64_t vfio_msix_pba_read(struct vfio_pci *p, uint64_t off, unsigned size);
void vfio_msix_stop(struct vfio_pci *p);
void vfio_msix_reset(struct vfio_pci *p);
void vfio_msix_free(struct vfio_pci *p);

/* intx.c */
int vfio_intx_init(struct vfio_pci *p);
int vfio_intx_enable(struct vfio_pci *p);
void vfio_intx_disable(struct vfio_pci *p);
void vfio_intx_free(struct vfio_pci *p);

/* ---- The VM's passthrough state (vm.c, host.c) ------------------------- */

struct sriov_alloc;
struct vm_config;

struct vfio_entry {
	char bdf[IOMMU_BDF_LEN];
	const char *rom;                 /* rom = FILE, or NULL */
	bool rom_off;                    /* rom = off */
	bool managed;
	bool bound;                      /* partvm bound it: restore it at exit */
	bool pool;                       /* an SR-IOV pool VF: released by sriov/ */
	char orig_driver[IOMMU_DRIVER_LEN]; /* what a restore brings back */
	struct vfio_pci *pci;
};

struct vfio {
	struct vm *vm;
	struct iommu_host host;
	struct vfio_backend *backend;
	struct vfio_entry *devs;
	size_t ndevs;
	struct sriov_alloc *allocs;      /* pool VFs taken at start */
	size_t nallocs;
	int kvm_fd;                      /* the KVM-VFIO device this boot */
	/* Guest RAM is mapped for DMA by a thread while the guest boots;
	 * devices may master only once it is done (vfio_pci.dma_ready). */
	pthread_t map_thread;
	bool map_started, map_done;
	int map_result;
	pthread_mutex_t map_lock;
	pthread_cond_t map_cond;
	char partition[IOMMU_OWNER_LEN]; /* owner of bind records and pool VFs */
};

/* place.c: where device DEV of a list goes on the guest's bus: function
 * FN of the SLOT-th slot passthrough takes (from 0). */
struct vfio_place {
	size_t dev;
	unsigned slot;
	unsigned fn;
};
/*
 * Place the N devices BDFS: the functions of one host device (same domain,
 * bus and device) share a slot, each at its host function, when that
 * device's function 0 is among them; every other device is function 0 of a
 * slot of its own, and so is each that ALONE marks (ALONE may be NULL).
 * Slots are numbered by their first device in BDFS, so the order of the
 * list decides which slot comes first, never which devices share one. OUT
 * gets N places in the order to plug them in (by slot, function 0 first).
 * Returns the number of slots; -EINVAL for a malformed or repeated BDF.
 */
int vfio_place_devices(const char *const *bdfs, const bool *alone, size_t n,
		       struct vfio_place *out);

/* host.c: take what CFG passes through (pool VFs, managed binds) and
 * check the unmanaged devices, filling V->devs. Logs one line and
 * returns a negative errno when a device is refused; what was taken
 * stays recorded in V for vfio_host_release(). */
int vfio_host_claim(struct vfio *v, const struct vm_config *cfg);
/* Give back what vfio_host_claim took; logs what could not be. */
void vfio_host_release(struct vfio *v);
/* Log why opening E through the backend failed with R, naming the holder
 * of a busy group or the devices that make it non-viable. */
void vfio_host_explain_open(struct vfio *v, const struct vfio_entry *e, int r);
/* "0000:00:03.0 (Vendor Device)" */
void vfio_host_label(struct vfio *v, const char *bdf, char *buf, size_t len);
/* BDF read into D (iommu_device_read()'s return) and its label into BUF,
 * from one read: each loads libpci. */
int vfio_host_read(struct vfio *v, const char *bdf, struct iommu_device *d, char *buf, size_t len);

/* The device type's hooks (vfio/conf.c). vm.c: */
struct device;
struct loop;
struct json_object;
int vfio_create(struct device *d, struct loop *loop);
int vfio_attach(struct device *d);
int vfio_privileged_done(struct device *d);
void vfio_detach(struct device *d);
void vfio_free(struct device *d);
/* status.c: the devices in the control socket's `status` reply. */
void vfio_status(struct device *d, struct json_object *status);
/* measure.c: the PCR 1 lines of the devices and pools. */
struct device_conf;
int vfio_measure(const struct device_conf *dc, const char *root, FILE *text, char *err,
		 size_t errlen);
/* The vendor and device IDs of host device BDF under ROOT's sysfs:
 * 0, -EINVAL for a malformed BDF, or the errno of reading them. */
int vfio_read_ids(const char *root, const char *bdf, uint16_t *vendor, uint16_t *device);


#endif
