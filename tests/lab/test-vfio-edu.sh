#!/bin/bash
# QEMU's edu device passed through by partvm to a Debian guest that binds
# uio_pci_generic: BAR0 registers (identification, factorial), 1000 INTx
# interrupts through the irqfd with resample with none lost or stuck, DMA
# from guest RAM into edu and back through the lab's IOMMU (pagemap
# addresses, checked byte for byte), and an expansion ROM from rom = FILE.
# Afterwards edu is back on its driver (none) with no record left.
# lab: timeout=1500
. "$(dirname "$0")/vfio-lib.sh"

EDU=$(lab_edu)
[ -n "$EDU" ] || lab_fail "no edu device (1234:11e8) in the lab"
before=$(driver_of "$EDU")
make_rom "$TMPDIR/edu.rom" 4096 1234 11e8
rom_sum=$(sha256sum <"$TMPDIR/edu.rom" | cut -d' ' -f1)
lab_guest_initrd --file "$(lab_helper vfio-edu):/bin/vfio-edu" "$TMPDIR/initrd" \
	"$LAB_DIR/vfio-guest-edu.sh" uio_pci_generic

# 256M: edu's DMA engine only reaches 28-bit addresses.
vfio_boot_clean "$TMPDIR/out" --initrd "$TMPDIR/initrd" -m 256M --vfio "$EDU,rom=$TMPDIR/edu.rom" \
	--append 'console=ttyS0 quiet edu_irqs=1000 edu_dma=4'
assert_eq "identification register" "edu: identification register 0x010000ed" \
	"$(guest_line "$TMPDIR/out" "edu: identification")"
assert_eq "factorial through BAR0" "edu: factorial(10) through BAR0 = 3628800" \
	"$(guest_line "$TMPDIR/out" "edu: factorial")"
assert_match "INTx" "^edu: INTx 1000/1000 interrupts received, 0 lost, 0 spurious, 0 miscounted" \
	"$(guest_line "$TMPDIR/out" "edu: INTx")"
assert_eq "DMA" "edu: DMA 4/4 round trips verified byte for byte" \
	"$(guest_line "$TMPDIR/out" "edu: DMA 4/4")"
assert_eq "ROM read by the guest" "guest: edu rom 4096 bytes, sha256 $rom_sum" \
	"$(guest_line "$TMPDIR/out" "guest: edu rom")"
assert_eq "guest driver" "guest: edu driver uio_pci_generic" "$(guest_line "$TMPDIR/out" "guest: edu driver")"
assert_restored "$EDU" "$before"

# A ROM file made for another device: refused in one line naming both ID
# pairs, before the guest starts, and edu given back.
make_rom "$TMPDIR/other.rom" 4096 10de 1b80
set +e
"$PARTVM" run --kernel "$LAB_BZIMAGE" -m 256M --vfio "$EDU,rom=$TMPDIR/other.rom" </dev/null \
	>"$TMPDIR/other.out" 2>"$TMPDIR/other.err"
st=$?
set -e
sed 's/^/    | /' "$TMPDIR/other.err"
assert_eq "a ROM file for 10de:1b80 on edu: exit status" 1 "$st"
assert_contains "the refusal names both devices" \
	"rom $TMPDIR/other.rom is an image for device 10de:1b80, not this device's 1234:11e8; give this device's own image, or rom = off" \
	"$(grep -v "no 'partvm' user" "$TMPDIR/other.err")"
assert_restored "$EDU" "$before"
echo "PASS: edu passthrough"
