#!/bin/sh
# L2 guest side of test-vfio-kill.sh and test-vfio-errors.sh: list the
# passed-through devices, say "guest: ready" and stay up (up to 10 min).
for d in /sys/bus/pci/devices/*; do
	echo "guest: device $(basename "$d") $(cat "$d/vendor"):$(cat "$d/device")"
done
echo "guest: ready"
sleep 600
