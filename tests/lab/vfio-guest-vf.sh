#!/bin/sh
# L2 guest side of test-vfio-igbvf.sh and test-vfio-three.sh: igbvf binds
# the passed-through 82576 VF; print its interface, driver and MAC, then
# bring the link up and report carrier and operstate. With
# "vf_ping=ADDR/LEN,PEER" on the kernel command line, also try to ping PEER;
# "vf_hold=N" keeps the guest up N more seconds (the host looks meanwhile).
vf=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x8086:0x10ca ] && vf=$(basename "$d")
done
[ -n "$vf" ] || { echo "guest: no 82576 VF"; exit 1; }
dev=/sys/bus/pci/devices/$vf
i=0
while [ -z "$(ls "$dev/net" 2>/dev/null)" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
ifc=$(ls "$dev/net" 2>/dev/null)
[ -n "$ifc" ] || { echo "guest: VF $vf has no interface"; dmesg | grep -i igbvf; exit 1; }
echo "guest: vf at $vf, driver $(basename "$(readlink "$dev/driver")"), interface $ifc, mac $(cat "/sys/class/net/$ifc/address")"
dmesg | grep -i -E "igbvf|mailbox" | sed "s/^/guest: dmesg: /"
echo "guest: vf interrupt mode $(cat "$dev"/msi_irqs/* 2>/dev/null | sort -u | tr '\n' ' ')with $(ls "$dev/msi_irqs" 2>/dev/null | wc -l) vectors"
ip link set "$ifc" up
i=0
while [ "$(cat "/sys/class/net/$ifc/carrier" 2>/dev/null)" != 1 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
echo "guest: vf link up: carrier $(cat "/sys/class/net/$ifc/carrier" 2>/dev/null) operstate $(cat "/sys/class/net/$ifc/operstate")"
ip link show "$ifc"
ping=$(sed -n 's/.*vf_ping=\([^ ]*\).*/\1/p' /proc/cmdline)
if [ -n "$ping" ]; then
	ip addr add "${ping%,*}" dev "$ifc"
	echo "guest: vf ping ${ping#*,}: $(ping -c 3 -W 2 "${ping#*,}" >/dev/null 2>&1 && echo ok || echo failed)"
fi
hold=$(sed -n 's/.*vf_hold=\([0-9]*\).*/\1/p' /proc/cmdline)
if [ -n "$hold" ]; then
	echo "guest: vf holding for $hold s"
	sleep "$hold"
fi
exit 0
