// SPDX-License-Identifier: GPL-2.0-only
/*
 * The board: every device type a partition can have, in the order they
 * are created and attached (stopped, detached and freed in reverse). The
 * one place that names them all; adding a device is a file and a line
 * here (ARCHITECTURE.md).
 */
#include "core/board.h"

#include "core/devices/credentials.h"
#include "core/devices/platform.h"
#include "core/devices/pm.h"
#include "core/devices/rtc.h"
#include "core/devices/serial.h"
#include "core/devices/smbios.h"
#include "core/tpm/vtpm.h"
#include "core/virtio/virtio.h"
#include "vfio/vfio.h"

const struct device_type *const board_device_types[] = {
	&serial_device_type,
	&rtc_device_type,
	&i8042_device_type,
	&debug_exit_device_type,
	&pm_device_type,
	&credentials_device_type,
	&credential_file_device_type,
	&smbios_device_type,
	/* Before anything that pins guest RAM: its create forks swtpm. */
	&vtpm_device_type,
	&vfio_device_type,
	&virtio_blk_device_type,
	&virtio_net_device_type,
	&virtio_vsock_device_type,
	&virtio_rng_device_type,
	&virtio_console_device_type,
	&ivshmem_device_type,
	NULL,
};
