#!/bin/sh
# L2 guest side of test-vfio-nvme-memory.sh: DMA above 4 GiB. The nvme
# driver binds the passed-through controller; tests/lab/dma-high (its path
# is "dma_high=PATH" on the kernel command line) writes 4096 pages whose
# frames lie above 4 GiB to the namespace's first 16 MiB with O_DIRECT,
# reads them back into frames above 4 GiB, and compares; the sha256 of
# what it wrote is printed for the host to compare with the namespace.
helper=$(sed -n 's/.*dma_high=\([^ ]*\).*/\1/p' /proc/cmdline)
i=0
while [ ! -b /dev/nvme0n1 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ -b /dev/nvme0n1 ] || { echo "guest: no /dev/nvme0n1"; dmesg | grep -i nvme; exit 1; }
echo "guest: e820 above 4 GiB: $(dmesg | grep -c 'BIOS-e820: \[mem 0x0000000100000000-')"
"$helper" /dev/nvme0n1 /tmp/expected 768 4096 || exit 1
echo "guest: dma-high wrote sha256 $(sha256sum /tmp/expected | cut -d' ' -f1)"
echo "guest: nvme interrupts taken $(awk '/nvme/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i } END { print n + 0 }' /proc/interrupts)"
