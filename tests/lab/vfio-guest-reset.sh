#!/bin/sh
# L2 guest side of test-vfio-reset.sh: two boots of one partvm run, told
# apart by a CMOS byte (0x40), which survives partvm's reboot. Each boot
# first reads, with no driver bound, the nvme controller's CC and CSTS and
# the edu's liveness register (BAR0 0x04, which returns the inverse of what
# was last written) through tests/lab/bar-reg ("bar_reg=PATH" on the
# command line). Boot 0 then writes 0x12345678 to the edu register, lets
# the nvme driver enable the controller, and reboots (its shutdown sets
# CC.SHN); boot 1 powers off.
helper=$(sed -n 's/.*bar_reg=\([^ ]*\).*/\1/p' /proc/cmdline)
nv= edu=
for d in /sys/bus/pci/devices/*; do
	case "$(cat "$d/vendor"):$(cat "$d/device")" in
	0x1b36:0x0010) nv=$(basename "$d") ;;
	0x1234:0x11e8) edu=$(basename "$d") ;;
	esac
done
[ -n "$nv" ] && [ -n "$edu" ] || { echo "guest: nvme '$nv' or edu '$edu' missing"; exit 1; }
# CMOS byte 0x40 through the RTC's index (0x70) and data (0x71) ports.
cmos_get() { printf '\100' | dd of=/dev/port bs=1 seek=112 count=1 conv=notrunc 2>/dev/null
	dd if=/dev/port bs=1 skip=113 count=1 2>/dev/null | od -An -tu1 | tr -d ' '; }
cmos_set() { printf '\100' | dd of=/dev/port bs=1 seek=112 count=1 conv=notrunc 2>/dev/null
	printf "\\$(printf %o "$1")" | dd of=/dev/port bs=1 seek=113 count=1 conv=notrunc 2>/dev/null; }
boot=$(cmos_get)
echo 1 >"/sys/bus/pci/devices/$nv/enable"
echo 1 >"/sys/bus/pci/devices/$edu/enable"
echo "guest: boot $boot nvme CC $("$helper" "$nv" 0x14) CSTS $("$helper" "$nv" 0x1c)"
echo "guest: boot $boot edu liveness $("$helper" "$edu" 0x04)"
if [ "$boot" = 0 ]; then
	cmos_set 1
	echo "guest: boot 0 edu liveness after writing 0x12345678: $("$helper" "$edu" 0x04 0x12345678)"
	echo 0 >"/sys/bus/pci/devices/$nv/enable"
	modprobe nvme
	i=0
	while [ ! -b /dev/nvme0n1 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	echo "guest: boot 0 nvme driver $(basename "$(readlink "/sys/bus/pci/devices/$nv/driver")"), $(ls /dev/nvme0n1)"
	reboot -f
else
	cmos_set 0
fi
