#!/bin/bash
# Lab: viability and --group on the real kernel. q35's ICH9 functions (LPC,
# SATA, SMBus) share one IOMMU group; with ahci bound to the SATA
# controller, binding the SMBus function alone is refused naming the SATA
# controller and its driver; --group binds all three (/dev/vfio/N appears);
# unbind gives the SATA controller back to ahci.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
P=$PARTVM
driver_of() { [ -e "/sys/bus/pci/devices/$1/driver" ] && basename "$(readlink "/sys/bus/pci/devices/$1/driver")" || true; }

LPC=$(lab_pci_find 8086:2918)
SATA=$(lab_pci_find 8086:2922)
SMBUS=$(lab_pci_find 8086:2930)
[ -n "$LPC" ] && [ -n "$SATA" ] && [ -n "$SMBUS" ] || lab_fail "no ICH9 LPC/SATA/SMBus functions"
group=$(basename "$(readlink /sys/bus/pci/devices/$SATA/iommu_group)")
assert_eq "SMBus shares the SATA controller's group" "$group" \
	"$(basename "$(readlink /sys/bus/pci/devices/$SMBUS/iommu_group)")"
trap '"$P" vfio restore --all --force >/dev/null 2>&1 || true
      [ "$(driver_of "$SATA")" = ahci ] && echo "$SATA" > /sys/bus/pci/drivers/ahci/unbind' EXIT

# The SATA controller gets its host driver (it has no disks: not in use).
[ "$(driver_of "$SATA")" = ahci ] || modprobe -d "$LAB_KROOT" ahci
for _ in $(seq 100); do [ "$(driver_of "$SATA")" = ahci ] && break; sleep 0.1; done
assert_eq "SATA driver" ahci "$(driver_of "$SATA")"

json=$("$P" iommu groups --json)
assert_eq "group $group viable" false "$(echo "$json" | jq -r ".groups[] | select(.group == $group) | .viable")"
assert_eq "group $group blockers" "$SATA ahci" \
	"$(echo "$json" | jq -r ".groups[] | select(.group == $group) | .blockers[] | .bdf + \" \" + .driver")"

status=0
err=$("$P" vfio bind "$SMBUS" 2>&1) || status=$?
assert_eq "exit status of a bind into a non-viable group" 1 "$status"
assert_eq "refusal" "partvm: $SMBUS (Intel Corporation 82801I (ICH9 Family) SMBus Controller): its IOMMU group $group would not be viable: it shares it with $SATA Intel Corporation 82801IR/IO/IH (ICH9R/DO/DH) 6 port SATA Controller [AHCI mode] on ahci; add --group to bind the whole group, or unbind those devices first" "$err"
assert_eq "SMBus untouched" "" "$(driver_of "$SMBUS")"

assert_run "bind --group" "$P" vfio bind --group "$SMBUS"
for d in $LPC $SATA $SMBUS; do assert_eq "$d driver after --group" vfio-pci "$(driver_of "$d")"; done
assert_exists "group's vfio node" "/dev/vfio/$group"
assert_eq "group $group viable now" true \
	"$("$P" iommu groups --json | jq -r ".groups[] | select(.group == $group) | .viable")"

assert_run "unbind the group" "$P" vfio unbind "$LPC" "$SATA" "$SMBUS"
assert_eq "SATA back on" ahci "$(driver_of "$SATA")"
assert_eq "LPC back to" "" "$(driver_of "$LPC")"
assert_eq "SMBus back to" "" "$(driver_of "$SMBUS")"
echo "PASS: group viability and --group"
