#!/bin/sh
# L2 guest side of test-vfio-three.sh: the NVMe, VF and edu checks in turn
# (each script is in the initramfs under /bin).
s=0
for t in nvme vf edu; do
	"/bin/vfio-guest-$t.sh" || { echo "guest: $t check failed"; s=1; }
done
exit $s
