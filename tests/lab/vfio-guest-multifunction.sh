#!/bin/sh
# L2 guest side of test-vfio-multifunction.sh: lspci's view of the bus,
# then each edu function's BAR0 through tests/lab/bar-reg (its path as
# "bar_reg=PATH" on the command line), with no driver bound: Header Type,
# the identification register, and the liveness register (it reads back
# the inverse of what was last written), written with a different value on
# each function and then read on each, so that each function's BAR is seen
# to reach that function and no other.
helper=$(sed -n 's/.*bar_reg=\([^ ]*\).*/\1/p' /proc/cmdline)
# pciutils' lspci by its path: busybox's own applet would run first.
/usr/bin/lspci -n | sed 's/^/guest-lspci: /'
edus=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x11e8 ] && edus="$edus ${d##*/}"
done
echo "guest: edu functions$edus"
[ -n "$edus" ] || exit 1
s=0
for e in $edus; do
	echo 1 >"/sys/bus/pci/devices/$e/enable" || s=1
	echo "guest: $e header type $(od -An -tx1 -j14 -N1 "/sys/bus/pci/devices/$e/config" | tr -d ' ')"
	echo "guest: $e identification $("$helper" "$e" 0x00)"
done
for e in $edus; do
	"$helper" "$e" 0x04 $((0x11110000 + ${e##*.})) >/dev/null || s=1
done
for e in $edus; do
	echo "guest: $e liveness $("$helper" "$e" 0x04)"
done
exit $s
