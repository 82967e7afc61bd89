#!/bin/bash
# A guest reboot with edu passed through: partvm detaches the device from
# the old KVM VM, resets the emulated state, attaches it to the new one
# (KVM-VFIO device, INTx irqfd, BAR slots) and the second boot's checks
# pass: BAR0, 200 INTx interrupts, DMA.
# lab: timeout=1500
. "$(dirname "$0")/vfio-lib.sh"

EDU=$(lab_edu)
[ -n "$EDU" ] || lab_fail "no edu device (1234:11e8) in the lab"
lab_guest_initrd --file "$(lab_helper vfio-edu):/bin/vfio-edu" \
	--file "$LAB_DIR/vfio-guest-edu.sh:/bin/vfio-guest-edu.sh" \
	"$TMPDIR/initrd" "$LAB_DIR/vfio-guest-reboot.sh" uio_pci_generic
status=0
vfio_boot "$TMPDIR/out" --initrd "$TMPDIR/initrd" -m 256M --vfio "$EDU" \
	--append 'console=ttyS0 quiet edu_irqs=200 edu_dma=2' || status=$?
assert_eq "partvm exit status (guest powered off after its reboot)" 0 "$status"
assert_eq "first boot" "guest: first boot, edu computed 0x000013B0; rebooting" \
	"$(guest_line "$TMPDIR/out" "guest: first boot")"
assert_eq "second boot" "guest: second boot, edu still holds 0x000013B0" \
	"$(guest_line "$TMPDIR/out" "guest: second boot")"
assert_match "INTx after the reboot" "^edu: INTx 200/200 interrupts received, 0 lost, 0 spurious, 0 miscounted" \
	"$(guest_line "$TMPDIR/out" "edu: INTx")"
assert_eq "DMA after the reboot" "edu: DMA 2/2 round trips verified byte for byte" \
	"$(guest_line "$TMPDIR/out" "edu: DMA 2/2")"
assert_restored "$EDU" ""
echo "PASS: reboot with a passed-through device"
