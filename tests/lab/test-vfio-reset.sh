#!/bin/bash
# Device reset between boots: one partvm run with the lab's passthrough
# nvme (FLR) and the edu (no reset method), two guest boots
# (tests/lab/vfio-guest-reset.sh). In the first, the nvme driver enables
# the controller and the reboot's shutdown sets CC.SHN; in the second, read
# before any driver, CC and CSTS are 0 again: partvm's VFIO_DEVICE_RESET
# ran between the boots (QEMU's nvme keeps CC and CSTS over a reboot
# otherwise). The edu's register keeps what the first boot wrote, and
# partvm said at start that the edu has no reset method.
# lab: timeout=1200
. "$(dirname "$0")/vfio-lib.sh"

NV=
for d in /sys/bus/pci/devices/*; do
	case "$(cat "$d/vendor"):$(cat "$d/device")" in
	0x1b36:0x0010) grep -q "^partvm-passthrough *$" "$d"/nvme/nvme*/serial 2>/dev/null && NV=$(basename "$d") ;;
	esac
done
EDU=$(lab_edu)
[ -n "$NV" ] && [ -n "$EDU" ] || lab_fail "no passthrough nvme ('$NV') or edu ('$EDU') in the lab"
edu_driver=$(driver_of "$EDU")

bar_reg=$(lab_helper bar-reg)
lab_guest_initrd --bin "$bar_reg" "$TMPDIR/initrd" "$LAB_DIR/vfio-guest-reset.sh" +nvme
status=0
vfio_boot "$TMPDIR/out" --initrd "$TMPDIR/initrd" -m 512M -c 1 --vfio "$NV" --vfio "$EDU" \
	--append "console=ttyS0 quiet bar_reg=$bar_reg" || status=$?
assert_eq "partvm exit status (the second boot powered off)" 0 "$status"
assert_match "boot 0: the nvme driver bound" "^guest: boot 0 nvme driver nvme, /dev/nvme0n1" \
	"$(guest_line "$TMPDIR/out" "guest: boot 0 nvme driver")"
assert_eq "boot 0: the edu register took the write" \
	"guest: boot 0 edu liveness after writing 0x12345678: 0xedcba987" \
	"$(guest_line "$TMPDIR/out" "guest: boot 0 edu liveness after")"
assert_eq "boot 1: nvme CC and CSTS before any driver (reset: both 0)" \
	"guest: boot 1 nvme CC 0x00000000 CSTS 0x00000000" "$(guest_line "$TMPDIR/out" "guest: boot 1 nvme")"
assert_eq "boot 1: the edu register kept boot 0's write (no reset method)" \
	"guest: boot 1 edu liveness 0xedcba987" "$(guest_line "$TMPDIR/out" "guest: boot 1 edu")"
assert_match "partvm: the nvme's reset methods" "vfio $NV .*reset methods: .*flr" \
	"$(grep "vfio $NV" "$TMPDIR/out")"
assert_match "partvm: the edu has none, and says so" \
	"vfio $EDU .*no reset method: the device keeps its state between boots" "$(grep "vfio $EDU" "$TMPDIR/out")"
assert_restored "$NV" nvme
assert_restored "$EDU" "$edu_driver"
echo "PASS: VFIO_DEVICE_RESET between boots, and a device without one"
