#!/bin/sh
# L2 guest side of test-vfio-reboot.sh. edu keeps its registers across the
# guest's reboot (it has no reset method), so its factorial register tells
# the boots apart: the first computes 7! and reboots, the second runs the
# edu checks (vfio-guest-edu.sh), which need working BARs, INTx and DMA
# after partvm re-wired the device for the new boot.
edu=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x11e8 ] && edu=$(basename "$d")
done
[ -n "$edu" ] || { echo "guest: no edu device"; exit 1; }
dev=/sys/bus/pci/devices/$edu
echo 1 >"$dev/enable"
bar=$(head -n1 "$dev/resource" | cut -d' ' -f1)
if [ "$(devmem $((bar + 8)) 32)" != 0x000013B0 ]; then
	devmem $((bar + 8)) 32 7
	sleep 1
	echo "guest: first boot, edu computed $(devmem $((bar + 8)) 32); rebooting"
	reboot -f
	sleep 60
fi
echo "guest: second boot, edu still holds $(devmem $((bar + 8)) 32)"
echo 0 >"$dev/enable"
exec /bin/vfio-guest-edu.sh
