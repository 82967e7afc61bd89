#!/bin/sh
# L2 guest side of test-vfio-nvme.sh and test-vfio-three.sh: the nvme
# driver binds the passed-through controller; "nvme_mb=N" on the kernel
# command line (default 64) MiB of random data are written to its
# namespace with O_DIRECT and read back the same way, and both sha256 sums
# printed, with the interrupt mode and the interrupts its queues took.
mb=$(sed -n 's/.*nvme_mb=\([0-9]*\).*/\1/p' /proc/cmdline)
mb=${mb:-64}
nv=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1b36:0x0010 ] && nv=$(basename "$d")
done
[ -n "$nv" ] || { echo "guest: no nvme controller"; exit 1; }
dev=/sys/bus/pci/devices/$nv
i=0
while [ ! -b /dev/nvme0n1 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ -b /dev/nvme0n1 ] || { echo "guest: no /dev/nvme0n1"; dmesg | grep -i nvme; exit 1; }
echo "guest: nvme at $nv, driver $(basename "$(readlink "$dev/driver")"), serial $(cat /sys/class/nvme/nvme0/serial)"
dd if=/dev/urandom of=/tmp/data bs=1M count="$mb" status=none
dd if=/tmp/data of=/dev/nvme0n1 bs=1M oflag=direct status=none || { echo "guest: write failed"; exit 1; }
dd if=/dev/nvme0n1 of=/tmp/back bs=1M count="$mb" iflag=direct status=none || { echo "guest: read failed"; exit 1; }
echo "guest: nvme wrote $mb MiB sha256 $(sha256sum /tmp/data | cut -d' ' -f1)"
echo "guest: nvme read  $mb MiB sha256 $(sha256sum /tmp/back | cut -d' ' -f1)"
rm -f /tmp/data /tmp/back
echo "guest: nvme interrupt mode $(cat "$dev"/msi_irqs/* | sort -u | tr '\n' ' ')with $(ls "$dev/msi_irqs" | wc -l) vectors"
echo "guest: nvme interrupts taken $(awk '/nvme/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i } END { print n + 0 }' /proc/interrupts)"
grep nvme /proc/interrupts
