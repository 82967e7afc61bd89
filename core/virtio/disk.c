// SPDX-License-Identifier: GPL-2.0-only
/*
 * The host side of a virtio-blk disk: a raw image file or a block device
 * (an LVM volume, a partition). Checked before anything starts, locked
 * while a partition uses it, and punched or zeroed for the guest's
 * DISCARD and WRITE_ZEROES.
 *
 * Locking is an open file description lock on the whole image (fcntl
 * F_OFD_SETLK), shared for a read-only disk and exclusive for a writable
 * one, so the kernel drops it with the last fd, also after kill -9. Such
 * locks carry no PID, so the holder leaves a record under the runtime
 * directory (disks/DEV-INO: "PID NAME"); a refusal reads it to name the
 * partition, or looks in /proc for whoever has the image open.
 */
#include "core/virtio/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util/cleanup.h"
#include "core/util/process.h"
#include "core/util/statefile.h"

#define SECTOR 512

int disk_check(const char *path, bool readonly, uint64_t *size, const char **why)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	uint64_t bytes;

	if (stat(path, &st) < 0) {
		*why = strerror(errno);
		return -errno;
	}
	if (S_ISDIR(st.st_mode)) {
		*why = "a directory, not a disk image";
		return -EISDIR;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		*why = "neither a regular file nor a block device";
		return -EINVAL;
	}
	fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		if (!readonly && (e == EACCES || e == EROFS || e == EPERM) &&
		    access(path, R_OK) == 0) {
			*why = e == EROFS ? "on a read-only file system; use readonly" :
					    "read-only for partvm (permission denied); use readonly";
			return -e;
		}
		*why = strerror(e);
		return -e;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &bytes) < 0) {
			*why = "its size cannot be read (BLKGETSIZE64)";
			return -errno;
		}
	} else {
		bytes = (uint64_t)st.st_size;
	}
	if (bytes == 0) {
		*why = "empty (0 bytes)";
		return -EINVAL;
	}
	if (bytes % SECTOR) {
		*why = "its size is not a multiple of 512 bytes";
		return -EINVAL;
	}
	if (size)
		*size = bytes;
	return 0;
}

/* The image's holder record: RUNTIME/disks/DEV-INO. */
static void record_name(const char *runtime, const struct stat *st, char *dir, size_t dlen,
			char *name, size_t nlen)
{
	snprintf(dir, dlen, "%s/disks", runtime);
	snprintf(name, nlen, "%llx-%llx", (unsigned long long)st->st_dev,
		 (unsigned long long)st->st_ino);
}

/* Who holds the image: the record's partition when its process lives,
 * else any process that has it open. */
static void find_holder(const char *runtime, const struct stat *st, char *holder, size_t len)
{
	char dir[PATH_MAX], name[64], comm[64];
	pid_t pid;

	record_name(runtime, st, dir, sizeof(dir), name, sizeof(name));
	if (statefile_holder(dir, name, holder, len) == 0)
		return;
	pid = process_find_opener_of("", st, getpid(), comm, sizeof(comm));
	if (pid)
		snprintf(holder, len, "process %s (pid %d)", comm, pid);
	else
		snprintf(holder, len, "another process");
}

static int lock(int fd, bool readonly)
{
	struct flock l = {
		.l_type = readonly ? F_RDLCK : F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = 0,
		.l_len = 0,   /* the whole image, however it grows */
	};

	if (fcntl(fd, F_OFD_SETLK, &l) < 0)
		return errno == EAGAIN || errno == EACCES ? -EBUSY : -errno;
	return 0;
}

int disk_probe_lock(const char *path, bool readonly, const char *runtime, char *holder,
		    size_t len)
{
	_cleanup_close_ int fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	struct stat st;
	int r;

	if (fd < 0)
		return -errno;
	r = lock(fd, readonly);
	if (r == -EBUSY && fstat(fd, &st) == 0)
		find_holder(runtime, &st, holder, len);
	return r;
}

int disk_open(struct disk *d, const char *path, bool readonly, bool direct, const char *runtime,
	      const char *partition, char *holder, size_t len)
{
	int flags = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct stat st;
	char dir[PATH_MAX], name[64];
	int r;

	memset(d, 0, sizeof(*d));
	d->fd = d->buffered_fd = -1;
	d->readonly = readonly;
	d->fd = open(path, flags | (direct ? O_DIRECT : 0));
	if (d->fd < 0 && direct && errno == EINVAL)
		return -EOPNOTSUPP;   /* no O_DIRECT on this file system */
	if (d->fd < 0)
		return -errno;
	if (fstat(d->fd, &st) < 0)
		return -errno;
	r = lock(d->fd, readonly);
	if (r == -EBUSY)
		find_holder(runtime, &st, holder, len);
	if (r < 0)
		return r;
	d->block_device = S_ISBLK(st.st_mode);
	d->dev = st.st_dev;
	d->ino = st.st_ino;
	d->logical_block = SECTOR;
	if (d->block_device) {
		int ssz = 0;

		if (ioctl(d->fd, BLKGETSIZE64, &d->size) < 0)
			return -errno;
		if (ioctl(d->fd, BLKSSZGET, &ssz) == 0 && ssz >= SECTOR && ssz <= 4096)
			d->logical_block = (unsigned)ssz;
	} else {
		d->size = (uint64_t)st.st_size;
	}
	if (direct) {
		/* For guest buffers O_DIRECT cannot take (unaligned): the same
		 * file through the page cache, which the kernel keeps coherent
		 * with direct I/O. */
		d->direct = true;
		d->buffered_fd = open(path, flags);
		if (d->buffered_fd < 0)
			return -errno;
	}
	/* Name ourselves for a refusal elsewhere (the lock is what refuses).
	 * The runtime directory may not be there yet. */
	record_name(runtime, &st, dir, sizeof(dir), name, sizeof(name));
	(void)statefile_hold(dir, name, partition, d->record, sizeof(d->record));
	return 0;
}

void disk_close(struct disk *d)
{
	/* A reader beside us may have written its own record since. */
	statefile_unhold(d->record);
	if (d->buffered_fd >= 0)
		close(d->buffered_fd);
	if (d->fd >= 0)
		close(d->fd);
	d->fd = d->buffered_fd = -1;
}

int disk_discard(struct disk *d, uint64_t off, uint64_t len)
{
	if (d->block_device) {
		uint64_t range[2] = { off, len };

		return ioctl(d->fd, BLKDISCARD, range) < 0 ? -errno : 0;
	}
	/* Gives the blocks back to the host: the image file shrinks. */
	if (fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) < 0)
		return -errno;
	return 0;
}

int disk_write_zeroes(struct disk *d, uint64_t off, uint64_t len, bool unmap)
{
	if (d->block_device) {
		uint64_t range[2] = { off, len };

		return ioctl(d->fd, BLKZEROOUT, range) < 0 ? -errno : 0;
	}
	if (unmap)
		return disk_discard(d, off, len);
	if (fallocate(d->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
		return 0;
	if (errno != EOPNOTSUPP)
		return -errno;
	/* No ZERO_RANGE (tmpfs, some file systems): a hole reads as zeros. */
	return disk_discard(d, off, len);
}
