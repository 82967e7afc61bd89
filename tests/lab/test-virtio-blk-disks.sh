#!/bin/bash
# Two virtio disks in a Debian guest: udev (the host's systemd-udevd and
# 60-persistent-storage.rules) links both under /dev/disk/by-id with their
# serials; the read-only one refuses writes and its image is unchanged
# (sha256 before and after); fstrim on an ext4 file system of the other
# gives the deleted file's blocks back to the host (the image's allocated
# size shrinks); the guest's write cache setting reaches the device; a
# second partition on the running guest's image is refused, naming it; after
# a reboot the guest reads the read-only disk whole.
# lab: timeout=1200
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-guest.sh"

# A writable image with an empty ext4, and a read-only one with data.
truncate -s 512M "$TMPDIR/data.img"
mke2fs -q -t ext4 -E nodiscard -F "$TMPDIR/data.img"
head -c 16M /dev/urandom >"$TMPDIR/ro.img"
ro_sha=$(sha256sum "$TMPDIR/ro.img" | cut -d' ' -f1)

guest_initrd "$TMPDIR/initrd.img" --bin /lib/systemd/systemd-udevd --bin /usr/bin/udevadm \
	--file /usr/lib/udev/rules.d/60-persistent-storage.rules -- virtio_pci virtio_blk ext4
guest_start disks --name lab-disks --kernel "$LAB_BZIMAGE" --initrd "$TMPDIR/initrd.img" --cpus 2 --memory 512M \
	--append "console=ttyS0 panic=-1 quiet" \
	--disk "$TMPDIR/data.img,serial=alpha-disk" --disk "$TMPDIR/ro.img,readonly,serial=beta-disk"
guest_wait disks '^guest: ready' 1

# /dev/disk/by-id, as udev makes it from the serial the device reports
# (the kernel's serial attribute, a GET_ID request to partvm). trigger
# --settle waits until udevd has handled each event it triggered: plain
# settle right after `udevd --daemon` can return before udevd's loop has
# queued them (udevd forks with its sockets set up, then starts its loop),
# and once found no link at all (cc5, 2026-12-07).
guest_send 'mkdir -p /run/udev; /lib/systemd/systemd-udevd --daemon; /usr/bin/udevadm trigger --settle --action=add --subsystem-match=block; /usr/bin/udevadm settle --timeout=60; echo "guest: serials $(cat /sys/block/vda/serial) $(cat /sys/block/vdb/serial)"; for l in /dev/disk/by-id/virtio-*; do echo "guest: by-id ${l##*/} $(readlink -f $l)"; done; echo "guest: by-id-done"'
guest_wait disks '^guest: by-id-done' 1 180
assert_eq "disks: serials in sysfs (vda, vdb)" "alpha-disk beta-disk" "$(guest_value disks serials)"
assert_contains "disks: by-id link of the first disk" "virtio-alpha-disk /dev/vda" \
	"$(grep '^guest: by-id ' "$GUEST_LOG" | tr -d '\r')"
assert_contains "disks: by-id link of the second disk" "virtio-beta-disk /dev/vdb" \
	"$(grep '^guest: by-id ' "$GUEST_LOG" | tr -d '\r')"

# The image is locked while the guest runs: a second partition is refused,
# in one line naming the first, and nothing of it starts.
set +e
"$PARTVM" run --name second --kernel "$LAB_BZIMAGE" --memory 256M \
	--disk "$TMPDIR/data.img" </dev/null >"$TMPDIR/second.out" 2>"$TMPDIR/second.err"
second=$?
set -e
sed 's/^/    | /' "$TMPDIR/second.err"
assert_eq "locked: a second partition on the image exits 2" 2 "$second"
assert_eq "locked: one line of refusal" 1 "$(wc -l <"$TMPDIR/second.err")"
assert_contains "locked: the refusal names the holder" \
	"disk '$TMPDIR/data.img': in use by partition 'lab-disks' (pid $GUEST_PID)" \
	"$(cat "$TMPDIR/second.err")"
assert_eq "locked: the second partition printed nothing of a guest" 0 "$(wc -c <"$TMPDIR/second.out")"

# The read-only disk: the guest's kernel knows, and a write fails.
guest_send 'echo "guest: ro $(blockdev --getro /dev/vdb) $(cat /sys/block/vdb/ro)"'
guest_wait disks '^guest: ro ' 1 60
assert_eq "readonly: blockdev --getro and sysfs" "1 1" "$(guest_value disks ro)"
guest_send 'dd if=/dev/zero of=/dev/vdb bs=4096 count=1 conv=fsync 2>/tmp/dd.err; echo "guest: ro-write $? $(head -1 /tmp/dd.err)"'
guest_wait disks '^guest: ro-write' 1 60
ro_write=$(guest_value disks ro-write)
assert_match "readonly: a write to /dev/vdb fails (EROFS/EPERM/EIO)" '^[1-9][0-9]* .*(Read-only|Operation not permitted|Input/output error)' "$ro_write"

# Discard: a 128 MiB file written, synced, deleted, fstrim'd.
guest_send 'mkdir -p /mnt && mount -t ext4 /dev/vda /mnt && dd if=/dev/urandom of=/mnt/big bs=1M count=128 2>/dev/null && sync && echo "guest: written"'
guest_wait disks '^guest: written' 1 600
before=$(($(stat -c %b "$TMPDIR/data.img") * 512))
guest_send 'rm /mnt/big && sync && fstrim -v /mnt; echo "guest: trimmed $?"'
guest_wait disks '^guest: trimmed' 1 300
assert_eq "discard: fstrim status" 0 "$(guest_value disks trimmed)"
after=$(($(stat -c %b "$TMPDIR/data.img") * 512))
echo "ok: discard: the image's allocated bytes $before -> $after"
assert_ge "discard: bytes given back to the host (>= 100 MiB)" $((100 << 20)) $((before - after))

# The write cache: Linux sees write back, and can turn it off.
guest_send 'echo "guest: cache $(cat /sys/block/vda/queue/write_cache | tr " " -)"; echo "write through" >/sys/block/vda/queue/write_cache; echo "guest: cache-now $(cat /sys/block/vda/queue/write_cache | tr " " -)"'
guest_wait disks '^guest: cache-now' 1 60
assert_eq "write cache as the guest found it" write-back "$(guest_value disks cache)"
assert_eq "write cache after the guest turned it off" write-through "$(guest_value disks cache-now)"
guest_check_dmesg disks
# A reboot: a new KVM VM, the devices reset and attached again; the guest
# reads the read-only disk whole and gets the host's sha256.
guest_send "umount /mnt; reboot -f"
guest_wait disks '^guest: ready' 2
guest_send 'echo "guest: ro-sha $(sha256sum /dev/vdb | cut -d" " -f1)"'
guest_wait disks '^guest: ro-sha' 1 300
assert_eq "after a reboot: sha256 of the read-only disk read by the guest" "$ro_sha" \
	"$(guest_value disks ro-sha)"
guest_send "poweroff -f"
guest_end
assert_eq "partvm status after poweroff -f" 0 "$GUEST_STATUS"
assert_eq "readonly: the image's sha256 after the guest tried to write" "$ro_sha" \
	"$(sha256sum "$TMPDIR/ro.img" | cut -d' ' -f1)"
