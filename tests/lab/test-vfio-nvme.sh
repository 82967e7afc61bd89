#!/bin/bash
# The lab's second NVMe controller (serial partvm-passthrough) passed
# through by partvm to a Debian guest whose nvme driver binds it using
# MSI-X; 64 MiB of random data written with O_DIRECT and read back have
# the same sha256, and once partvm gave the controller back to the host's
# nvme driver, the host reads the same 64 MiB from it. Proves BARs, MSI-X
# and DMA end to end.
# lab: timeout=1500
. "$(dirname "$0")/vfio-lib.sh"

NV=$(nvme_passthrough) || exit 1
assert_eq "nvme's driver before" nvme "$(driver_of "$NV")"
lab_guest_initrd "$TMPDIR/initrd" "$LAB_DIR/vfio-guest-nvme.sh" nvme

vfio_boot_clean "$TMPDIR/out" --initrd "$TMPDIR/initrd" -m 512M -c 2 --vfio "$NV" \
	--append 'console=ttyS0 quiet nvme_mb=64'
nvme_guest_checks "$TMPDIR/out" partvm-passthrough 2 100

assert_restored "$NV" nvme
# The host's own driver reads what the guest wrote.
assert_eq "sha256 the host reads after restore" "$NVME_WROTE" "$(nvme_host_sha "$NV" 64)"
echo "PASS: nvme passthrough"
