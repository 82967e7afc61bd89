// SPDX-License-Identifier: GPL-2.0-only
/*
 * Config space of a passed-through device. Every byte is either read from
 * and written to the device, or virtualized in the emulated space of
 * struct pci_device (core/pci.c, which does BAR sizing and tells bar.c of
 * moves). Virtualized: the header except the status register (IDs are the
 * ones vfio-pci reports, so a VF shows its real IDs; BARs, ROM BAR and
 * interrupt line/pin are the guest's; the command register is both), the
 * capability list pointers, MSI and MSI-X entirely, the PCIe capability's
 * port type, and the whole extended space (read as zeros: no extended
 * capabilities reach the guest). The guest sees the capabilities it can
 * use in a VM (power management, MSI, MSI-X, PCI Express, vendor
 * specific); the others are unlinked from the list.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/util/bytes.h"
#include "core/util/log.h"
#include "vfio/internal.h"

/* Capabilities the guest keeps; everything else is hidden. */
static bool cap_visible(uint8_t id)
{
	switch (id) {
	case PCI_CAP_ID_PM:
	case PCI_CAP_ID_MSI:
	case PCI_CAP_ID_VNDR:
	case PCI_CAP_ID_EXP:
	case PCI_CAP_ID_MSIX:
		return true;
	default:
		return false;
	}
}

static void emulate(struct vfio_pci *p, unsigned off, unsigned len)
{
	for (unsigned i = off; i < off + len && i < PCI_CONFIG_SIZE; i++)
		p->emu[i] = 1;
}

/* Rebuild the capability list from the device's, keeping the visible
 * capabilities in their order. RAW is the device's config space. */
static int walk_caps(struct vfio_pci *p, const uint8_t *raw, char *err, size_t errlen)
{
	uint8_t *cfg = p->pci.cfg;
	unsigned prev = PCI_CAPABILITY_LIST, off;
	uint64_t seen = 0;               /* dwords of the standard space visited */
	int r;

	cfg[PCI_CAPABILITY_LIST] = 0;
	if (!(le_get(&raw[PCI_STATUS], 2) & PCI_STATUS_CAP_LIST))
		return 0;
	for (off = raw[PCI_CAPABILITY_LIST] & ~3u; off; off = raw[off + PCI_CAP_LIST_NEXT] & ~3u) {
		uint8_t id;

		/* A loop or a pointer into the header: stop where it went wrong,
		 * so that no capability is set up twice. */
		if (off < PCI_STD_HEADER_SIZEOF || off > PCI_CFG_SPACE_SIZE - PCI_CAP_SIZEOF ||
		    (seen >> (off / 4) & 1))
			break;
		seen |= 1ULL << (off / 4);
		id = raw[off + PCI_CAP_LIST_ID];
		/* ID and next pointer are ours for every capability, so that a
		 * hidden one leads nowhere. */
		emulate(p, off, 2);
		cfg[off + PCI_CAP_LIST_ID] = id;
		cfg[off + PCI_CAP_LIST_NEXT] = 0;
		if (!cap_visible(id))
			continue;
		cfg[prev + (prev == PCI_CAPABILITY_LIST ? 0 : PCI_CAP_LIST_NEXT)] = (uint8_t)off;
		prev = off;

		switch (id) {
		case PCI_CAP_ID_MSI:
			r = vfio_msi_init(p, off);
			break;
		case PCI_CAP_ID_MSIX:
			r = vfio_msix_init(p, off);
			break;
		case PCI_CAP_ID_EXP: {
			/* On partvm's root bus there is no root port above the
			 * device: it is a root-complex integrated endpoint, which
			 * has no link registers for the guest to train. */
			uint16_t flags = (uint16_t)le_get(&raw[off + PCI_EXP_FLAGS], 2);
			unsigned type = (flags & PCI_EXP_FLAGS_TYPE) >> 4;

			emulate(p, off + PCI_EXP_FLAGS, 2);
			if (type == PCI_EXP_TYPE_ENDPOINT || type == PCI_EXP_TYPE_LEG_END)
				flags = (uint16_t)((flags & ~PCI_EXP_FLAGS_TYPE) | (PCI_EXP_TYPE_RC_END << 4));
			cfg[off + PCI_EXP_FLAGS] = (uint8_t)flags;
			cfg[off + PCI_EXP_FLAGS + 1] = (uint8_t)(flags >> 8);
			r = 0;
			break;
		}
		default:
			r = 0;
		}
		if (r < 0) {
			snprintf(err, errlen, "cannot set up its %s capability: %s",
				 id == PCI_CAP_ID_MSI ? "MSI" : "MSI-X", strerror(-r));
			return r;
		}
	}
	return 0;
}

int vfio_config_init(struct vfio_pci *p, char *err, size_t errlen)
{
	const struct vfio_region *reg = &p->dev.regions[VFIO_PCI_CONFIG_REGION_INDEX];
	uint8_t raw[PCI_CONFIG_SIZE];
	uint8_t *cfg = p->pci.cfg;
	char name[sizeof(p->pci.name)];
	int r;

	p->cfg_size = reg->size < PCI_CONFIG_SIZE ? (unsigned)reg->size : PCI_CONFIG_SIZE;
	if (p->cfg_size < PCI_CFG_SPACE_SIZE) {
		snprintf(err, errlen, "its config space is only %u bytes", p->cfg_size);
		return -EIO;
	}
	memset(raw, 0, sizeof(raw));
	r = vfio_dev_read(&p->dev, VFIO_PCI_CONFIG_REGION_INDEX, 0, raw, PCI_CFG_SPACE_SIZE);
	if (r < 0) {
		snprintf(err, errlen, "cannot read its config space: %s", strerror(-r));
		return r;
	}
	if ((raw[PCI_HEADER_TYPE] & 0x7f) != PCI_HEADER_TYPE_NORMAL) {
		snprintf(err, errlen, "has a type %u config header (a bridge); only endpoints can be "
			 "passed through", raw[PCI_HEADER_TYPE] & 0x7f);
		return -ENOTSUP;
	}

	snprintf(name, sizeof(name), "vfio-%s", p->dev.bdf);
	pci_device_init(&p->pci, name, (uint16_t)le_get(&raw[PCI_VENDOR_ID], 2),
			(uint16_t)le_get(&raw[PCI_DEVICE_ID], 2), le_get(&raw[PCI_CLASS_PROG], 3),
			raw[PCI_REVISION_ID]);
	/* Whether the guest's slot has other functions (bit 7) is for the
	 * bus to say (core/vm/pci.c), not the host device. */
	cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	cfg[PCI_CACHE_LINE_SIZE] = raw[PCI_CACHE_LINE_SIZE];
	memcpy(&cfg[PCI_SUBSYSTEM_VENDOR_ID], &raw[PCI_SUBSYSTEM_VENDOR_ID], 4);
	cfg[PCI_MIN_GNT] = raw[PCI_MIN_GNT];
	cfg[PCI_MAX_LAT] = raw[PCI_MAX_LAT];

	memset(p->emu, 0, sizeof(p->emu));
	emulate(p, 0, PCI_STD_HEADER_SIZEOF);
	p->emu[PCI_STATUS] = p->emu[PCI_STATUS + 1] = 0;
	emulate(p, PCI_CFG_SPACE_SIZE, PCI_CONFIG_SIZE - PCI_CFG_SPACE_SIZE);

	p->intx.pin = p->dev.irq_count[VFIO_PCI_INTX_IRQ_INDEX] ? raw[PCI_INTERRUPT_PIN] : 0;
	if (p->intx.pin > 4)
		p->intx.pin = 0;
	return walk_caps(p, raw, err, errlen);
}

/* Does [OFF, OFF+LEN) meet [START, START+N)? */
static bool overlaps(unsigned off, unsigned len, unsigned start, unsigned n)
{
	return off < start + n && start < off + len;
}

uint32_t vfio_config_read(struct pci_device *d, unsigned offset, unsigned size)
{
	struct vfio_pci *p = (struct vfio_pci *)d;
	uint8_t dev[4] = { 0xff, 0xff, 0xff, 0xff };
	bool from_dev = false;
	uint32_t v = 0;

	if (size == 0 || size > 4 || offset >= PCI_CONFIG_SIZE || size > PCI_CONFIG_SIZE - offset)
		return ~0U;
	for (unsigned i = 0; i < size; i++)
		from_dev |= !p->emu[offset + i];
	if (from_dev && vfio_dev_read(&p->dev, VFIO_PCI_CONFIG_REGION_INDEX, offset, dev, size) < 0)
		memset(dev, 0xff, sizeof(dev));
	if (p->msi.cap && p->msi.maskable) {
		unsigned pend = p->msi.cap + (p->msi.is64 ? PCI_MSI_PENDING_64 : PCI_MSI_PENDING_32);

		if (overlaps(offset, size, pend, 4)) {
			uint32_t bits = vfio_msi_pending_bits(p);

			for (unsigned i = 0; i < 4; i++)
				d->cfg[pend + i] = (uint8_t)(bits >> (8 * i));
		}
	}
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)(p->emu[offset + i] ? d->cfg[offset + i] : dev[i]) << (8 * i);
	return v;
}

/* Write bytes [FROM, TO) of an access at OFFSET to the device. */
static void write_device(struct vfio_pci *p, unsigned offset, unsigned from, unsigned to,
			 uint32_t value)
{
	uint8_t b[4];

	for (unsigned i = from; i < to; i++)
		b[i - from] = (uint8_t)(value >> (8 * i));
	/* A failed write is what a master abort would be: lost. */
	(void)vfio_dev_write(&p->dev, VFIO_PCI_CONFIG_REGION_INDEX, offset + from, b, to - from);
}

/* Bytes that reach the device: passthrough ones and the command register,
 * which the device must see to decode its BARs and master DMA. */
static bool to_device(const struct vfio_pci *p, unsigned o)
{
	return !p->emu[o] || o == PCI_COMMAND || o == PCI_COMMAND + 1;
}

static void forward(struct vfio_pci *p, unsigned offset, unsigned size, uint32_t value)
{
	unsigned i = 0;

	while (i < size) {
		unsigned j = i;

		if (!to_device(p, offset + i)) {
			i++;
			continue;
		}
		while (j < size && to_device(p, offset + j))
			j++;
		write_device(p, offset, i, j, value);
		i = j;
	}
}

/* The virtualized bytes, in runs, so that a BAR is written whole. */
static void emulate_write(struct vfio_pci *p, unsigned offset, unsigned size, uint32_t value)
{
	unsigned i = 0;

	while (i < size) {
		unsigned j = i;

		if (!p->emu[offset + i]) {
			i++;
			continue;
		}
		while (j < size && p->emu[offset + j])
			j++;
		pci_config_write_emulated(&p->pci, offset + i, j - i,
					  (uint32_t)((uint64_t)value >> (8 * i)));
		i = j;
	}
}

void vfio_config_write(struct pci_device *d, unsigned offset, unsigned size, uint32_t value)
{
	struct vfio_pci *p = (struct vfio_pci *)d;
	uint16_t cmd = (uint16_t)le_get(&d->cfg[PCI_COMMAND], 2), next = cmd;
	bool disables;

	if (size == 0 || size > 4 || offset >= PCI_CONFIG_SIZE || size > PCI_CONFIG_SIZE - offset)
		return;
	for (unsigned i = 0; i < size; i++) {
		unsigned o = offset + i;

		if (o == PCI_COMMAND)
			next = (uint16_t)((next & 0xff00) | (uint8_t)(value >> (8 * i)));
		else if (o == PCI_COMMAND + 1)
			next = (uint16_t)((next & 0x00ff) | ((value >> (8 * i)) & 0xff) << 8);
	}
	/* Decoding turned off: take the BARs out of the guest first, so that
	 * no vCPU reaches a mapping the device stopped backing. Turned on:
	 * the device decodes before the guest can reach it. */
	/* No DMA before guest RAM is in the IOMMU: the device masters only
	 * once the map is done, and not at all if it failed. */
	if ((next & PCI_COMMAND_MASTER) && !(cmd & PCI_COMMAND_MASTER) && p->dma_ready &&
	    p->dma_ready(p->dma_opaque) < 0) {
		for (unsigned i = 0; i < size; i++)
			if (offset + i == PCI_COMMAND)
				value &= ~((uint32_t)PCI_COMMAND_MASTER << (8 * i));
		next &= (uint16_t)~PCI_COMMAND_MASTER;
	}
	disables = (cmd & ~next) & (PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	if (disables) {
		emulate_write(p, offset, size, value);
		forward(p, offset, size, value);
	} else {
		forward(p, offset, size, value);
		emulate_write(p, offset, size, value);
	}

	if (p->msi.cap && overlaps(offset, size, p->msi.cap, 24))
		vfio_msi_config_written(p);
	if (p->msix.cap && overlaps(offset, size, p->msix.cap + PCI_MSIX_FLAGS, 2))
		vfio_msix_config_written(p);
}

void vfio_config_reset(struct vfio_pci *p)
{
	pthread_mutex_lock(&p->lock);
	vfio_msi_reset(p);
	vfio_msix_reset(p);
	pthread_mutex_unlock(&p->lock);
	p->pci.cfg[PCI_INTERRUPT_LINE] = (uint8_t)p->pci.intx_gsi;
}
