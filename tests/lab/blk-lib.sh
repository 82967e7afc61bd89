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
#   blk_systemd_image OUT                 an ext4 root with systemd 254 as
#                                         init (see below)
#   blk_systemd_initrd OUT                the initramfs that boots it

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

# blk_systemd_image OUT: an ext4 root (256 MiB) whose init is systemd 254
# from bookworm-backports ($LAB_SYSTEMD_ROOT, tests/lab/guest-systemd) on
# the host's libraries, merged /usr, with only the lab's units: lab.target
# (the default) wants
#   lab-report.service   "guest: KEY VALUE" lines on ttyS0: pid1 (PID 1's
#                        name and systemctl --version), creds (the names in
#                        /run/credentials/@system), greeting, motto (those
#                        credentials' values), blob-sha (sha256 of the
#                        credential blob), notify (vmm.notify_socket),
#                        product (SMBIOS type 1 product name)
#   lab-console.service  "guest: ready", then runs what is typed on ttyS0
#   lab-button.service   the ACPI power button (modules button, evdev)
#                        starts systemctl poweroff, as logind would
blk_systemd_image() {
	local out=$1 sd=${LAB_SYSTEMD_ROOT:-} root d b lib
	[ -n "$sd" ] && [ -x "$sd/lib/systemd/systemd" ] ||
		lab_fail "no systemd for the guest: tests/lab/guest-systemd failed before the lab booted (its line is in the lab's output)"
	root=$(mktemp -d "$TMPDIR/sdroot.XXXXXX")
	mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{etc/systemd/system,proc,sys,dev,run,tmp,var,root}
	for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done
	for d in bin sbin lib; do
		[ ! -d "$sd/$d" ] || cp -a "$sd/$d/." "$root/usr/$d/"
	done
	cp -a "$sd/usr/." "$root/usr/"
	cp -a "$sd/etc/." "$root/etc/"
	for b in "$root/usr/lib/systemd/systemd" "$root/usr/bin/systemctl" "$root/usr/lib/systemd/systemd-shutdown"; do
		LD_LIBRARY_PATH=$root/usr/lib/x86_64-linux-gnu/systemd ldd "$b" ||
			lab_fail "ldd $b: the host lacks a library the guest's systemd needs"
	done | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/lib64\// { print $1 }' | sort -u |
		while read -r lib; do
			case $lib in "$root"/*) continue ;; esac
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
	cp "$(command -v busybox)" "$root/usr/bin/busybox"
	ln -s busybox "$root/usr/bin/sh"
	ln -s /lib/systemd/systemd "$root/usr/sbin/init"
	cp -L /etc/os-release "$root/etc/os-release"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$root/etc/group"
	blk_systemd_units "$root"
	mke2fs -q -t ext4 -d "$root" -F "$out" 256M || lab_fail "mke2fs -d $root $out failed"
	rm -rf "$root"
}

blk_systemd_units() {
	local u=$1/etc/systemd/system
	ln -s lab.target "$u/default.target"
	cat >"$u/lab.target" <<'UNIT'
[Unit]
Description=partvm lab guest
Wants=lab-report.service lab-console.service lab-button.service
After=lab-report.service lab-console.service lab-button.service
UNIT
	# The lab's units run early and alone: nothing of sysinit.target.
	local common='DefaultDependencies=no'
	local tty='StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0'
	printf '[Unit]\nDescription=report what systemd got from partvm\n%s\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh /lab-report\n%s\n' \
		"$common" "$tty" >"$u/lab-report.service"
	printf '[Unit]\nDescription=console commands from the lab\n%s\nAfter=lab-report.service\n[Service]\nExecStart=/bin/sh /lab-console\nStandardInput=tty-force\n%s\n' \
		"$common" "$tty" >"$u/lab-console.service"
	printf '[Unit]\nDescription=the ACPI power button powers off\n%s\n[Service]\nExecStart=/bin/sh /lab-button\n%s\n' \
		"$common" "$tty" >"$u/lab-button.service"
	cat >"$1/lab-report" <<'SCRIPT'
mkdir -p /tmp/bb && /bin/busybox --install -s /tmp/bb
PATH=/usr/bin:/usr/sbin:/tmp/bb
c=/run/credentials/@system
echo "guest: pid1 $(cat /proc/1/comm) $(systemctl --version | head -n 1)"
echo "guest: creds $(ls "$c" | tr '\n' ' ')"
[ ! -e "$c/greeting" ] || echo "guest: greeting $(cat "$c/greeting")"
[ ! -e "$c/motto" ] || echo "guest: motto $(cat "$c/motto")"
[ ! -e "$c/blob" ] || echo "guest: blob-sha $(sha256sum <"$c/blob" | cut -c1-64)"
echo "guest: notify $(cat "$c/vmm.notify_socket")"
echo "guest: product $(cat /sys/class/dmi/id/product_name)"
SCRIPT
	cat >"$1/lab-console" <<'SCRIPT'
PATH=/usr/bin:/usr/sbin:/tmp/bb
echo "guest: ready"
while read -r cmd; do
	echo "guest: running $cmd"
	eval "$cmd"
done
SCRIPT
	cat >"$1/lab-button" <<'SCRIPT'
for e in /sys/class/input/event*; do
	[ "$(/bin/busybox cat "$e/device/name" 2>/dev/null)" = "Power Button" ] || continue
	/bin/busybox dd if="/dev/input/${e##*/}" of=/dev/null bs=24 count=1 2>/dev/null
	echo "guest: power button pressed, systemctl poweroff"
	exec /usr/bin/systemctl poweroff
done
echo "guest: no power button device"
SCRIPT
}

# blk_systemd_initrd OUT: the initramfs for blk_systemd_image's root: loads
# virtio_pci, virtio_blk, ext4, the vsock transport, dmi_sysfs (PID 1 reads
# SMBIOS credentials first thing), button and evdev; switches to /dev/vda.
blk_systemd_initrd() {
	lab_guest_initrd --root /dev/vda:ext4 "$1" - virtio_pci virtio_blk ext4 \
		vmw_vsock_virtio_transport dmi_sysfs button evdev >/dev/null
}
