#!/bin/bash
# VFIO DMA where guest RAM is unusual, with the lab's passthrough NVMe:
#  1. above 4 GiB: a 3G guest (RAM below the 2 GiB PCI hole and from 4 GiB
#     up) does O_DIRECT I/O from and into 4096 pages whose frames lie above
#     4 GiB (found through /proc/self/pagemap: tests/lab/dma-high.c); the
#     data comes back intact, and the host, after partvm gave the
#     controller back, reads from the namespace what the guest wrote;
#  2. hugetlb: a guest whose RAM is 2 MiB huge pages (memory-backing =
#     hugetlb: the lab host's free huge pages drop by the guest's 256 while
#     it runs) does the NVMe data test of test-vfio-nvme.sh.
# lab: timeout=1500
. "$(dirname "$0")/vfio-lib.sh"

NV=$(nvme_passthrough) || exit 1
assert_eq "nvme's driver before" nvme "$(driver_of "$NV")"

# --- 1. DMA above 4 GiB
dma_high=$(lab_helper dma-high)
lab_guest_initrd --bin "$dma_high" "$TMPDIR/initrd-high" "$LAB_DIR/vfio-guest-nvme-high.sh" nvme
status=0
vfio_boot "$TMPDIR/high" --initrd "$TMPDIR/initrd-high" -m 3G -c 2 --vfio "$NV" \
	--append "console=ttyS0 quiet dma_high=$dma_high" || status=$?
assert_eq "high: partvm exit status (guest powered off)" 0 "$status"
assert_eq "high: the guest's e820 has RAM from 4 GiB" "guest: e820 above 4 GiB: 1" \
	"$(guest_line "$TMPDIR/high" "guest: e820 above 4 GiB")"
assert_match "high: DMA from and into frames above 4 GiB" \
	'^dma-high: 4096 pages above 4 GiB \(frames 0x1[0-9a-f]{5}-0x1[0-9a-f]{5}\), written and read back intact' \
	"$(guest_line "$TMPDIR/high" "dma-high:")"
wrote=$(guest_line "$TMPDIR/high" "guest: dma-high wrote" | sed -n 's/.*sha256 //p')
assert_match "high: sha256 of what the guest wrote" '^[0-9a-f]{64}$' "$wrote"
taken=$(guest_line "$TMPDIR/high" "guest: nvme interrupts taken" | sed -n 's/.*taken //p')
assert_ge "high: interrupts the guest's nvme queues took" 100 "$taken"
assert_restored "$NV" nvme
assert_eq "high: the namespace's first 16 MiB, read by the host = what the guest wrote" "$wrote" "$(nvme_host_sha "$NV" 16)"

# --- 2. hugetlb-backed guest RAM
hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
hp_before=$(cat "$hp")
trap 'echo "$hp_before" >"$hp"' EXIT
echo $((hp_before + 256)) >"$hp"
free_before=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
assert_ge "hugetlb: free 2 MiB pages reserved for the guest" 256 "$free_before"
lab_guest_initrd "$TMPDIR/initrd-huge" "$LAB_DIR/vfio-guest-nvme.sh" nvme
printf '[partition]\nmemory-backing = hugetlb\n' >"$TMPDIR/huge.conf"
vfio_boot "$TMPDIR/huge" "$TMPDIR/huge.conf" --initrd "$TMPDIR/initrd-huge" -m 512M -c 2 --vfio "$NV" \
	--append 'console=ttyS0 quiet nvme_mb=64' &
boot_pid=$!
least=$free_before
while kill -0 "$boot_pid" 2>/dev/null; do
	free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	[ "$free" -ge "$least" ] || least=$free
	sleep 0.5
done
status=0
wait "$boot_pid" || status=$?
assert_eq "hugetlb: partvm exit status (guest powered off)" 0 "$status"
assert_ge "hugetlb: free huge pages while the guest ran (<= before - 256)" "$least" $((free_before - 256))
assert_contains "hugetlb: partvm mapped hugetlb RAM for DMA" "MiB of guest RAM (hugetlb) mapped for DMA" \
	"$(cat "$TMPDIR/huge")"
assert_eq "hugetlb: guest script status" "guest-init: script exited with status 0" \
	"$(guest_line "$TMPDIR/huge" "guest-init: script exited")"
nvme_guest_checks "$TMPDIR/huge" partvm-passthrough 2 100
assert_restored "$NV" nvme
assert_eq "hugetlb: the namespace's first 64 MiB, read by the host = what the guest wrote" "$NVME_WROTE" \
	"$(nvme_host_sha "$NV" 64)"
echo "PASS: VFIO DMA above 4 GiB and into hugetlb-backed RAM"
