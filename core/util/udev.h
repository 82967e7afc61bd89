/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libudev, loaded (dlopen) by whoever watches or lists devices, for as long
 * as it does: a partition without VFIO or SR-IOV never needs it, and
 * linking it cost every start its loading (an empty program linked with
 * libpci and libudev took 6.6 ms longer to exec in the lab than one
 * without). Its symbols are looked up in the process's global scope once
 * the library is in it, so a program that defines one itself is the one
 * called.
 */
#ifndef PARTVM_UTIL_UDEV_H
#define PARTVM_UTIL_UDEV_H

#include <libudev.h>

#include "core/util/dynlib.h"

/* Debian's libudev1: the soname partvm is compiled against. */
#define UDEV_LIB "libudev.so.1"

/* The libudev calls partvm makes. */
#define UDEV_CALLS(X) \
	X(udev_new) X(udev_unref) X(udev_monitor_new_from_netlink) X(udev_monitor_unref) \
	X(udev_monitor_filter_add_match_subsystem_devtype) X(udev_monitor_set_receive_buffer_size) \
	X(udev_monitor_enable_receiving) X(udev_monitor_get_fd) X(udev_monitor_receive_device) \
	X(udev_device_unref) X(udev_device_get_action) X(udev_device_get_sysname) \
	X(udev_device_get_subsystem) X(udev_enumerate_new) X(udev_enumerate_unref) \
	X(udev_enumerate_add_match_subsystem) X(udev_enumerate_scan_devices) \
	X(udev_enumerate_get_list_entry) X(udev_list_entry_get_next) X(udev_list_entry_get_name)

struct udev_api {
	void *lib;
	UDEV_CALLS(DYNLIB_FIELD)
};

/* Load libudev and fill A; -ELIBACC when it cannot be loaded (A is then
 * empty). Loads nest: the library goes at the last udev_api_unload(). */
int udev_api_load(struct udev_api *a);
void udev_api_unload(struct udev_api *a);

#endif
