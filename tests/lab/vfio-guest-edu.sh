#!/bin/sh
# L2 guest side of test-vfio-edu.sh and test-vfio-three.sh: bind the
# passed-through edu to uio_pci_generic, read its ROM if it has one, and
# run /bin/vfio-edu (tests/lab/vfio-edu.c). "edu_irqs=N" and "edu_dma=N"
# on the kernel command line set the number of interrupts and DMA rounds.
irqs=$(sed -n 's/.*edu_irqs=\([0-9]*\).*/\1/p' /proc/cmdline)
dma=$(sed -n 's/.*edu_dma=\([0-9]*\).*/\1/p' /proc/cmdline)
edu=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x11e8 ] && edu=$(basename "$d")
done
[ -n "$edu" ] || { echo "guest: no edu device"; exit 1; }
dev=/sys/bus/pci/devices/$edu
echo "guest: edu at $edu, INTx pin $(cat "$dev/config" | od -An -tx1 -j61 -N1 | tr -d ' '), irq $(cat "$dev/irq")"
echo "1234 11e8" >/sys/bus/pci/drivers/uio_pci_generic/new_id
i=0
while [ ! -e /dev/uio0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
echo "guest: edu driver $(basename "$(readlink "$dev/driver")")"
# The ROM decodes only with memory space on, which the driver's probe set.
if [ -e "$dev/rom" ]; then
	echo 1 >"$dev/rom"
	echo "guest: edu rom $(wc -c <"$dev/rom") bytes, sha256 $(sha256sum <"$dev/rom" | cut -d' ' -f1)"
	echo 0 >"$dev/rom"
fi
/bin/vfio-edu "$edu" /dev/uio0 "${irqs:-1000}" "${dma:-4}"
