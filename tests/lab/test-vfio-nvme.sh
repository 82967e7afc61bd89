#!/bin/bash
# The lab's second NVMe controller (serial partvm-passthrough) passed
# through by partvm to a Debian guest whose nvme driver binds it using
# MSI-X; 64 MiB of random data written with O_DIRECT and read back have
# the same sha256, and once partvm gave the controller back to the host's
# nvme driver, the host reads the same 64 MiB from it. Proves BARs, MSI-X
# and DMA end to end.
# lab: timeout=1500
. "$(dirname "$0")/vfio-lib.sh"

NV=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1b36:0x0010 ] || continue
	grep -q "^partvm-passthrough *$" "$d"/nvme/nvme*/serial 2>/dev/null && NV=$(basename "$d")
done
[ -n "$NV" ] || lab_fail "no nvme controller with serial partvm-passthrough (tests/lab/run adds it)"
assert_eq "nvme's driver before" nvme "$(driver_of "$NV")"
lab_guest_initrd "$TMPDIR/initrd" "$LAB_DIR/vfio-guest-nvme.sh" nvme

status=0
vfio_boot "$TMPDIR/out" --initrd "$TMPDIR/initrd" -m 512M -c 2 --vfio "$NV" \
	--append 'console=ttyS0 quiet nvme_mb=64' || status=$?
assert_eq "partvm exit status (guest powered off)" 0 "$status"
assert_eq "guest script status" "guest-init: script exited with status 0" \
	"$(guest_line "$TMPDIR/out" "guest-init: script exited")"
assert_match "guest's nvme driver" "^guest: nvme at 0000:00:0[0-9a-f].0, driver nvme, serial partvm-passthrough" \
	"$(guest_line "$TMPDIR/out" "guest: nvme at")"
wrote=$(guest_line "$TMPDIR/out" "guest: nvme wrote" | sed -n 's/.*sha256 //p')
read=$(guest_line "$TMPDIR/out" "guest: nvme read" | sed -n 's/.*sha256 //p')
assert_match "sha256 written" '^[0-9a-f]{64}$' "$wrote"
assert_eq "sha256 read back with O_DIRECT" "$wrote" "$read"
assert_match "interrupt mode" "^guest: nvme interrupt mode msix with [2-9][0-9]* vectors" \
	"$(guest_line "$TMPDIR/out" "guest: nvme interrupt mode")"
taken=$(guest_line "$TMPDIR/out" "guest: nvme interrupts taken" | sed -n 's/.*taken //p')
assert_ge "MSI-X interrupts the guest's nvme queues took" 100 "$taken"

assert_restored "$NV" nvme
# The host's own driver reads what the guest wrote. With native multipath
# the namespace shows as nvmeXcYnZ under the controller; its block device
# is nvmeXnZ.
blk=
for _ in $(seq 100); do
	ns=$(cd /sys/bus/pci/devices/"$NV"/nvme/nvme*/ 2>/dev/null && ls -d nvme*n1 2>/dev/null | head -n1)
	blk=/dev/$(echo "$ns" | sed 's/c[0-9]*n/n/')
	[ -n "$ns" ] && [ -b "$blk" ] && break
	sleep 0.3
done
[ -b "$blk" ] || lab_fail "no namespace block device after nvme came back (saw '$ns')"
host=$(dd if="$blk" bs=1M count=64 iflag=direct status=none | sha256sum | cut -d' ' -f1)
assert_eq "sha256 the host reads from $blk after restore" "$wrote" "$host"
echo "PASS: nvme passthrough"
