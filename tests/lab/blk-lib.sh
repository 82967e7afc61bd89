# Sourced by the virtio-blk lab tests (bash), after lib.sh and
# linux-guest.sh: Debian's kernel with its root file system on a virtio
# disk partvm serves.
#
#   blk_root_image OUT SIZE [SRC:DST...]  an ext4 image (mke2fs -d) holding
#                                         busybox and an init that reports
#                                         like linux-guest.sh's and then runs
#                                         console commands
#   blk_root_initrd OUT                   an initramfs that loads virtio_pci,
#                                         virtio_blk and ext4 and switches to
#                                         /dev/vda
#   blk_file_sha OUT IMAGE PATH           sha256 of PATH inside the ext4 IMAGE,
#                                         read on the host (e2fsck replays the
#                                         journal on a copy first)
#   blk_allocated IMAGE                   bytes the host allocated for IMAGE

blk_root_init() {
	cat <<'INIT'
#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/ttyS0 >/dev/ttyS0 2>&1
echo "guest: root $(awk '$2 == "/" { print $1, $3 }' /proc/mounts)"
echo "guest: ready"
while read -r cmd; do
	echo "guest: running $cmd"
	eval "$cmd"
done
INIT
}

blk_root_image() {
	local out=$1 size=$2 dir f
	shift 2
	dir=$(mktemp -d "$TMPDIR/root.XXXXXX")
	mkdir -p "$dir"/{bin,sbin,proc,sys,dev,tmp,mnt,etc,root}
	cp "$(command -v busybox)" "$dir/bin/busybox"
	ln -s busybox "$dir/bin/sh"
	blk_root_init >"$dir/sbin/init"
	chmod 0755 "$dir/sbin/init"
	for f in "$@"; do
		mkdir -p "$dir$(dirname "${f#*:}")"
		cp -L "${f%%:*}" "$dir${f#*:}"
	done
	mke2fs -q -t ext4 -d "$dir" -F "$out" "$size" || lab_fail "mke2fs -d $dir $out failed"
	rm -rf "$dir"
}

blk_root_initrd() {
	lab_guest_initrd --root /dev/vda:ext4 "$1" - virtio_pci virtio_blk ext4 >/dev/null
}

blk_file_sha() {
	local out=$1 image=$2 path=$3 status=0
	cp --sparse=always "$image" "$TMPDIR/fsck.img"
	# 0: clean, 1: errors fixed (the journal replayed after a hard stop).
	e2fsck -fy "$TMPDIR/fsck.img" >"$TMPDIR/fsck.log" 2>&1 || status=$?
	[ "$status" -le 1 ] || { cat "$TMPDIR/fsck.log"; lab_fail "e2fsck of $image: status $status"; }
	debugfs -R "dump $path $TMPDIR/dumped" "$TMPDIR/fsck.img" >/dev/null 2>&1 ||
		lab_fail "debugfs cannot dump $path from $image"
	sha256sum "$TMPDIR/dumped" | cut -d' ' -f1 >"$out"
	rm -f "$TMPDIR/fsck.img" "$TMPDIR/dumped"
}

blk_allocated() {
	echo $(($(stat -c %b "$1") * $(stat -c %B "$1")))
}
