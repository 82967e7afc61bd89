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

NV=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1b36:0x0010 ] || continue
	grep -q "^partvm-passthrough *$" "$d"/nvme/nvme*/serial 2>/dev/null && NV=$(basename "$d")
done
[ -n "$NV" ] || lab_fail "no nvme controller with serial partvm-passthrough (tests/lab/run adds it)"
assert_eq "nvme's driver before" nvme "$(driver_of "$NV")"

# host_sha MIB: sha256 of the namespace's first MIB MiB, read by the host's
# nvme driver once partvm gave the controller back.
host_sha() {
	local blk= ns
	for _ in $(seq 100); do
		ns=$(cd /sys/bus/pci/devices/"$NV"/nvme/nvme*/ 2>/dev/null && ls -d nvme*n1 2>/dev/null | head -n1)
		blk=/dev/$(echo "$ns" | sed 's/c[0-9]*n/n/')
		[ -n "$ns" ] && [ -b "$blk" ] && break
		sleep 0.3
	done
	[ -b "$blk" ] || lab_fail "no namespace block device after nvme came back (saw '$ns')"
	dd if="$blk" bs=1M count="$1" iflag=direct status=none | sha256sum | cut -d' ' -f1
}

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
assert_eq "high: the namespace's first 16 MiB, read by the host = what the guest wrote" "$wrote" "$(host_sha 16)"

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
assert_ge "hugetlb: free huge pages while the guest ran (<= before - 256)" $((free_before - 256)) "$least"
assert_contains "hugetlb: partvm mapped hugetlb RAM for DMA" "MiB of guest RAM (hugetlb) mapped for DMA" \
	"$(cat "$TMPDIR/huge")"
wrote=$(guest_line "$TMPDIR/huge" "guest: nvme wrote" | sed -n 's/.*sha256 //p')
read=$(guest_line "$TMPDIR/huge" "guest: nvme read" | sed -n 's/.*sha256 //p')
assert_match "hugetlb: sha256 written" '^[0-9a-f]{64}$' "$wrote"
assert_eq "hugetlb: sha256 read back with O_DIRECT" "$wrote" "$read"
assert_restored "$NV" nvme
assert_eq "hugetlb: the namespace's first 64 MiB, read by the host = what the guest wrote" "$wrote" "$(host_sha 64)"
echo "PASS: VFIO DMA above 4 GiB and into hugetlb-backed RAM"
