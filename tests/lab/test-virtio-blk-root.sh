#!/bin/bash
# Debian's kernel with its root file system on a virtio disk (an ext4 image
# built with mke2fs -d, root=/dev/vda): the guest writes 256 MiB of random
# data, syncs and powers off, and the host reads the same sha256 from the
# image. Then a guest syncs 64 MiB and partvm is killed (kill -9): what was
# synced is in the image.
# lab: timeout=1500
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-guest.sh"
. "$(dirname "$0")/blk-lib.sh"

blk_root_image "$TMPDIR/root.img" 768M
blk_root_initrd "$TMPDIR/initrd.img"
args=(--kernel "$LAB_BZIMAGE" --initrd "$TMPDIR/initrd.img" --cpus 2 --memory 512M
	--append "console=ttyS0 panic=-1 quiet" --disk "$TMPDIR/root.img,serial=root")

guest_start root "${args[@]}"
guest_wait root '^guest: ready' 1
assert_eq "root: the guest's root" "/dev/vda ext4" "$(guest_value root root)"
guest_send 'dd if=/dev/urandom of=/data.bin bs=1M count=256 2>/dev/null && sync && echo "guest: sha $(sha256sum /data.bin | cut -d" " -f1)"'
# The whole digest: a line matched half-way through the console's output
# gave a truncated sha256 (and the kill -9 below cut the rest off for good).
guest_wait root '^guest: sha [0-9a-f]{64}' 1 900
guest_sha=$(guest_value root sha)
guest_send "poweroff -f"
guest_end
assert_eq "partvm status after poweroff -f" 0 "$GUEST_STATUS"
blk_file_sha "$TMPDIR/host.sha" "$TMPDIR/root.img" /data.bin
echo "ok: guest sha256 $guest_sha"
assert_eq "root: sha256 of /data.bin read on the host" "$guest_sha" "$(cat "$TMPDIR/host.sha")"

# kill -9 right after the guest's sync.
guest_start killed "${args[@]}"
guest_wait killed '^guest: ready' 1
guest_send 'dd if=/dev/urandom of=/synced.bin bs=1M count=64 2>/dev/null && sync && echo "guest: synced $(sha256sum /synced.bin | cut -d" " -f1)"'
guest_wait killed '^guest: synced [0-9a-f]{64}' 1 600
kill -9 "$GUEST_PID"
guest_end
assert_eq "killed: partvm status" 137 "$GUEST_STATUS"
blk_file_sha "$TMPDIR/host.sha" "$TMPDIR/root.img" /synced.bin
assert_eq "killed: sha256 of the synced file read on the host" "$(guest_value killed synced)" \
	"$(cat "$TMPDIR/host.sha")"
