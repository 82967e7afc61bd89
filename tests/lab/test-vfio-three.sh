#!/bin/bash
# Three devices in one guest: the passthrough NVMe controller (nvme, MSI-X,
# 16 MiB read back intact), a pool VF (igbvf, MSI-X) and edu
# (uio_pci_generic: BAR0, 200 INTx interrupts, DMA), each in its own slot;
# all three are given back afterwards.
# lab: timeout=1800
. "$(dirname "$0")/vfio-lib.sh"

trap vfio_pool_vf_cleanup EXIT
vfio_pool_vf_setup

cat >"$TMPDIR/three.conf" <<EOC
[partition]
name = three
memory = 256M
cpus = 2

[vfio]
device = $NV

[vfio]
device = $EDU

[sriov "net"]
pf = $PFDEV
mac = 02:00:00:00:cc:01
vlan = 0
EOC
lab_guest_initrd --file "$(lab_helper vfio-edu):/bin/vfio-edu" \
	--file "$LAB_DIR/vfio-guest-nvme.sh:/bin/vfio-guest-nvme.sh" \
	--file "$LAB_DIR/vfio-guest-vf.sh:/bin/vfio-guest-vf.sh" \
	--file "$LAB_DIR/vfio-guest-edu.sh:/bin/vfio-guest-edu.sh" \
	"$TMPDIR/initrd" "$LAB_DIR/vfio-guest-three.sh" nvme igbvf uio_pci_generic

vfio_boot_clean "$TMPDIR/out" "$TMPDIR/three.conf" --initrd "$TMPDIR/initrd" \
	--append 'console=ttyS0 quiet nvme_mb=16 edu_irqs=200 edu_dma=2'
slots=$(grep -o "guest slot [0-9a-f]*" "$TMPDIR/out" | sort -u | wc -l)
assert_eq "distinct guest slots" 3 "$slots"
wrote=$(guest_line "$TMPDIR/out" "guest: nvme wrote" | sed -n 's/.*sha256 //p')
assert_match "NVMe data" '^[0-9a-f]{64}$' "$wrote"
assert_eq "NVMe read back" "$wrote" "$(guest_line "$TMPDIR/out" "guest: nvme read" | sed -n 's/.*sha256 //p')"
assert_match "NVMe interrupts" "msix with [2-9][0-9]* vectors" "$(guest_line "$TMPDIR/out" "guest: nvme interrupt mode")"
assert_match "VF" "^guest: vf at .*, driver igbvf, interface eth[0-9]+" "$(guest_line "$TMPDIR/out" "guest: vf at")"
assert_match "VF interrupts" "msix with 3 vectors" "$(guest_line "$TMPDIR/out" "guest: vf interrupt mode")"
assert_eq "edu factorial" "edu: factorial(10) through BAR0 = 3628800" "$(guest_line "$TMPDIR/out" "edu: factorial")"
assert_match "edu INTx" "^edu: INTx 200/200 interrupts received, 0 lost, 0 spurious, 0 miscounted" \
	"$(guest_line "$TMPDIR/out" "edu: INTx")"
assert_eq "edu DMA" "edu: DMA 2/2 round trips verified byte for byte" "$(guest_line "$TMPDIR/out" "edu: DMA 2/2")"

assert_restored "$NV" nvme
assert_restored "$EDU" ""
assert_restored "$VF" ""
[ ! -e "/run/partvm/sriov/$VF" ] || lab_fail "the pool still records $VF"
echo "PASS: three devices in one guest"
