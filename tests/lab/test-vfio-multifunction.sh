#!/bin/bash
# A multi-function device passed through: the lab's two edu functions at
# 00:06.0 and 00:06.1 (one device, one IOMMU group), given to partvm
# function 1 first. partvm binds both to vfio-pci and puts them in one
# guest slot at their host functions: the guest's lspci shows functions .0
# and .1 of one slot, both edu (1234:11e8), function 0 says the device is
# multi-function, each function's BAR0 reaches that function (the
# identification register, and a liveness value written to each read back
# from each); partvm's log names guest slot S.0 and S.1. Afterwards both
# are back on their driver (none) with no record left.
# lab: timeout=900
. "$(dirname "$0")/vfio-lib.sh"

# The edu functions that share a slot (lab_edu is the one alone in its).
pair=()
for d in $(lab_pci_find 1234:11e8); do
	fns=(/sys/bus/pci/devices/"${d%.*}".*)
	[ "${#fns[@]}" = 1 ] || pair+=("$d")
done
assert_eq "multi-function edu functions in the lab (tests/lab/run adds them)" 2 "${#pair[@]}"
F0=${pair[0]} F1=${pair[1]}
assert_eq "functions 0 and 1 of one device" "${F0%.*}.0 ${F0%.*}.1" "$F0 $F1"
assert_eq "one IOMMU group" "$(readlink "/sys/bus/pci/devices/$F0/iommu_group")" \
	"$(readlink "/sys/bus/pci/devices/$F1/iommu_group")"
before0=$(driver_of "$F0") before1=$(driver_of "$F1")
# Should partvm not get to give them back itself, the next test shares the host.
trap '"$PARTVM" vfio restore --all --force >/dev/null 2>&1 || true' EXIT

bar_reg=$(lab_helper bar-reg)
lab_guest_initrd --bin "$bar_reg" --bin /usr/bin/lspci "$TMPDIR/initrd" \
	"$LAB_DIR/vfio-guest-multifunction.sh"
vfio_boot_clean "$TMPDIR/out" --initrd "$TMPDIR/initrd" -m 256M --vfio "$F1" --vfio "$F0" \
	--append "console=ttyS0 quiet bar_reg=$bar_reg"

# lspci: two edu functions, .0 and .1 of one slot.
edus=$(grep '^guest-lspci: .*1234:11e8' "$TMPDIR/out" | tr -d '\r' || true)
assert_eq "edu functions in the guest's lspci" 2 "$(grep -c . <<<"$edus" || true)"
slot=$(sed -n 's/^guest-lspci: 00:\([0-9a-f][0-9a-f]\)\.0 .*/\1/p' <<<"$edus")
assert_match "function 0 in the guest's lspci" '^[0-9a-f]{2}$' "$slot"
assert_match "function 1 in the same slot" "^guest-lspci: 00:$slot\\.1 [0-9a-f]{4}: 1234:11e8" \
	"$(grep "^guest-lspci: 00:$slot\\.1 " <<<"$edus" || true)"
G0=0000:00:$slot.0 G1=0000:00:$slot.1
assert_eq "the guest's edu functions" "guest: edu functions $G0 $G1" \
	"$(guest_line "$TMPDIR/out" "guest: edu functions")"

# Function 0 says the device has more functions (Header Type bit 7).
assert_eq "function 0's Header Type in the guest" "guest: $G0 header type 80" \
	"$(guest_line "$TMPDIR/out" "guest: $G0 header type")"
# Each function's BAR0 reaches that function.
for g in "$G0" "$G1"; do
	assert_eq "$g identification register" "guest: $g identification 0x010000ed" \
		"$(guest_line "$TMPDIR/out" "guest: $g identification")"
done
assert_eq "$G0 liveness (0x11110000 written to it)" "guest: $G0 liveness 0xeeeeffff" \
	"$(guest_line "$TMPDIR/out" "guest: $G0 liveness")"
assert_eq "$G1 liveness (0x11110001 written to it)" "guest: $G1 liveness 0xeeeefffe" \
	"$(guest_line "$TMPDIR/out" "guest: $G1 liveness")"

# partvm names the guest addresses.
assert_match "partvm: $F0's guest address" "vfio $F0 .*: guest slot $slot\\.0;" \
	"$(grep "vfio $F0 " "$TMPDIR/out" || true)"
assert_match "partvm: $F1's guest address" "vfio $F1 .*: guest slot $slot\\.1;" \
	"$(grep "vfio $F1 " "$TMPDIR/out" || true)"

assert_restored "$F0" "$before0"
assert_restored "$F1" "$before1"
echo "PASS: a multi-function device in one guest slot"
