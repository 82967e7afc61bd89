/* SPDX-License-Identifier: GPL-2.0-only */
/* A virtio-blk disk's image on the host: checks, locking, discard. */
#ifndef PARTVM_VIRTIO_DISK_H
#define PARTVM_VIRTIO_DISK_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct disk {
	int fd;                   /* O_DIRECT with cache = none */
	int buffered_fd;          /* the same image through the page cache, or -1 */
	bool readonly, block_device, direct;
	uint64_t size;            /* bytes */
	unsigned logical_block;   /* 512 for files; a block device's own */
	dev_t dev;
	ino_t ino;
	char record[PATH_MAX];    /* our holder record, "" if none */
};

/* Is PATH usable as a disk (READONLY or not)? 0 with *SIZE set, or -errno
 * with *WHY the reason for a user ("a directory, not a disk image", "its
 * size is not a multiple of 512 bytes", "read-only ...; use readonly"). */
int disk_check(const char *path, bool readonly, uint64_t *size, const char **why);
/* Could PATH be locked now? 0, or -EBUSY with HOLDER naming who has it
 * ("partition 'web' (pid 812)"), or another -errno. */
int disk_probe_lock(const char *path, bool readonly, const char *runtime, char *holder,
		    size_t len);
/* Open and lock PATH for PARTITION, recording the holder under RUNTIME.
 * -EBUSY with HOLDER set when another holds it; -EOPNOTSUPP when DIRECT
 * is asked and the file system has no O_DIRECT. */
int disk_open(struct disk *d, const char *path, bool readonly, bool direct, const char *runtime,
	      const char *partition, char *holder, size_t len);
void disk_close(struct disk *d);

/* Deallocate [OFF, OFF+LEN): punch a hole in a file, BLKDISCARD a device. */
int disk_discard(struct disk *d, uint64_t off, uint64_t len);
/* Make [OFF, OFF+LEN) read as zeros (deallocating it when UNMAP). */
int disk_write_zeroes(struct disk *d, uint64_t off, uint64_t len, bool unmap);

#endif
