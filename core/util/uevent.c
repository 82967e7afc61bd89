// SPDX-License-Identifier: GPL-2.0-only
#include "core/util/uevent.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/util/deadline.h"
#include "core/util/udev.h"

struct uevent_waiter {
	struct udev_api api;
	struct udev *udev;
	struct udev_monitor *mon;
	const char *source;
};

/* libudev's "udev" source only carries events when udevd runs (systemd 252
 * silently disables such a monitor otherwise); a bare host such as the lab's
 * busybox init has only the kernel's own uevents. */
static const char *pick_source(void)
{
	return access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel";
}

int uevent_waiter_new(const char *subsystem, struct uevent_waiter **out)
{
	struct uevent_waiter *w;
	int r;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->source = pick_source();
	r = udev_api_load(&w->api);
	if (r < 0)
		goto fail;
	w->udev = w->api.udev_new();
	if (!w->udev) {
		r = errno ? -errno : -ENOMEM;
		goto fail;
	}
	w->mon = w->api.udev_monitor_new_from_netlink(w->udev, w->source);
	if (!w->mon) {
		r = errno ? -errno : -ENOMEM;
		goto fail;
	}
	if (subsystem) {
		r = w->api.udev_monitor_filter_add_match_subsystem_devtype(w->mon, subsystem, NULL);
		if (r < 0)
			goto fail;
	}
	/* A burst of VF or bind events must not overflow the socket; failing
	 * to enlarge it (no CAP_NET_ADMIN) only makes overflow likelier. */
	(void)w->api.udev_monitor_set_receive_buffer_size(w->mon, 4 * 1024 * 1024);
	r = w->api.udev_monitor_enable_receiving(w->mon);
	if (r < 0)
		goto fail;
	*out = w;
	return 0;
fail:
	uevent_waiter_free(w);
	return r < 0 ? r : -EIO;
}

int uevent_wait(struct uevent_waiter *w, int timeout_ms, uevent_predicate_fn pred, void *userdata)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = w->api.udev_monitor_get_fd(w->mon), .events = POLLIN };
	int r;

	r = pred(NULL, userdata);
	if (r != 0)
		return r;

	for (;;) {
		int wait = -1;

		if (deadline >= 0) {
			int64_t left = deadline - now_ms();
			if (left <= 0)
				return -ETIMEDOUT;
			wait = left > 60000 ? 60000 : (int)left;
		}
		r = poll(&pfd, 1, wait);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			continue;
		/* Drain everything queued; NULL means no (matching) event left. */
		for (;;) {
			struct udev_device *dev = w->api.udev_monitor_receive_device(w->mon);
			struct uevent ev;

			if (!dev)
				break;
			ev = (struct uevent){
				.action = w->api.udev_device_get_action(dev),
				.sysname = w->api.udev_device_get_sysname(dev),
				.subsystem = w->api.udev_device_get_subsystem(dev),
			};
			r = pred(&ev, userdata);
			w->api.udev_device_unref(dev);
			if (r != 0)
				return r;
		}
	}
}

int uevent_waiter_fd(const struct uevent_waiter *w)
{
	return w->api.udev_monitor_get_fd(w->mon);
}

const char *uevent_waiter_source(const struct uevent_waiter *w)
{
	return w->source;
}

void uevent_waiter_free(struct uevent_waiter *w)
{
	if (!w)
		return;
	if (w->mon)
		w->api.udev_monitor_unref(w->mon);
	if (w->udev)
		w->api.udev_unref(w->udev);
	udev_api_unload(&w->api);
	free(w);
}
