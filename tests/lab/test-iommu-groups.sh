#!/bin/bash
# Lab: `partvm iommu groups --json` on the real kernel shows the igb PF,
# its VFs and the edu device, with pci.ids names, their IOMMU groups and
# the right viability verdicts; the text table agrees.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
P=${PARTVM:-$PWD/build/partvm}
fail() { echo "FAIL: $*" >&2; exit 1; }
driver_of() { [ -e "/sys/bus/pci/devices/$1/driver" ] && basename "$(readlink "/sys/bus/pci/devices/$1/driver")" || true; }

PF=$(lab_pci_find 8086:10c9)
EDU=$(lab_edu)
[ -n "$PF" ] && [ -n "$EDU" ] || fail "lab host has no igb PF ($PF) or edu ($EDU)"
trap 'echo 0 > /sys/bus/pci/devices/$PF/sriov_numvfs; rm -rf "${tmp:-}"' EXIT
# Start from no VFs: sriov_numvfs only changes from or to 0.
echo 0 > "/sys/bus/pci/devices/$PF/sriov_numvfs"
echo 2 > "/sys/bus/pci/devices/$PF/sriov_numvfs"
VFS=$(lab_pci_find 8086:10ca)
[ "$(echo "$VFS" | wc -w)" = 2 ] || fail "expected 2 VFs after sriov_numvfs=2, got: $VFS"
for vf in $VFS; do # the test may poll; partvm itself waits on uevents
	for _ in $(seq 300); do [ "$(driver_of "$vf")" = igbvf ] && break; sleep 0.1; done
	[ "$(driver_of "$vf")" = igbvf ] || fail "VF $vf did not get igbvf"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/iommu-groups.XXXXXX")
json=$("$P" iommu groups --json)
echo "$json" > "$tmp/groups.json"
q() { jq -er "$@" "$tmp/groups.json"; }
dev() { echo ".groups[].devices[] | select(.bdf == \"$1\")"; }
grp() { echo ".groups[] | select(.devices[].bdf == \"$1\")"; }

[ "$(q .version)" = 1 ] || fail "JSON version"
# The PF: names from pci.ids, SR-IOV PF with 2 of 7 VFs, FLR, its group.
[ "$(q "$(dev "$PF") | .vendor")" = "Intel Corporation" ] || fail "PF vendor name"
[ "$(q "$(dev "$PF") | .device")" = "82576 Gigabit Network Connection" ] || fail "PF device name"
[ "$(q "$(dev "$PF") | .class")" = "Ethernet controller" ] || fail "PF class name"
[ "$(q "$(dev "$PF") | .driver")" = igb ] || fail "PF driver"
[ "$(q "$(dev "$PF") | .sriov | \"\(.role) \(.num_vfs) \(.total_vfs)\"")" = "pf 2 7" ] || fail "PF sriov"
[ "$(q "$(dev "$PF") | .flr")" = true ] || fail "PF FLR from DevCap"
pf_group=$(basename "$(readlink /sys/bus/pci/devices/$PF/iommu_group)")
[ "$(q "$(dev "$PF") | .iommu_group")" = "$pf_group" ] || fail "PF group"
[ "$(q "$(grp "$PF") | .viable")" = false ] || fail "PF group (igb) must not be viable"
[ "$(q "$(grp "$PF") | .blockers[0].bdf + \" \" + .blockers[0].driver")" = "$PF igb" ] || fail "PF blocker"

# Each VF: its own group, named, its PF, not viable while on igbvf.
for vf in $VFS; do
	g=$(basename "$(readlink /sys/bus/pci/devices/$vf/iommu_group)")
	[ "$(q "$(dev "$vf") | .device")" = "82576 Virtual Function" ] || fail "VF $vf name"
	[ "$(q "$(dev "$vf") | .sriov.role + \" \" + .sriov.physfn")" = "vf $PF" ] || fail "VF $vf physfn"
	[ "$(q "$(dev "$vf") | .iommu_group")" = "$g" ] || fail "VF $vf group"
	[ "$(q "$(grp "$vf") | .vfio_path")" = "/dev/vfio/$g" ] || fail "VF $vf vfio path"
	[ "$(q "$(grp "$vf") | .viable")" = false ] || fail "VF $vf group viable while on igbvf"
	[ "$(q "$(grp "$vf") | .blockers[0].driver")" = igbvf ] || fail "VF $vf blocker"
done

# edu: not in pci.ids (null names), no driver: viable.
[ "$(q "$(dev "$EDU") | .vendor_id + \":\" + .device_id")" = "1234:11e8" ] || fail "edu IDs"
[ "$(jq -r "$(dev "$EDU") | .vendor" "$tmp/groups.json")" = null ] || fail "edu has no pci.ids name"
[ "$(jq -r "$(dev "$EDU") | .driver" "$tmp/groups.json")" = null ] || fail "edu driver"
[ "$(q "$(grp "$EDU") | .viable")" = true ] || fail "edu group viable"

# Every group listed by the kernel is in the JSON, and only those.
want=$(ls /sys/kernel/iommu_groups | sort -n | tr '\n' ' ')
got=$(jq -r '[.groups[].group] | map(tostring) | join(" ")' "$tmp/groups.json")
[ "$got " = "$want" ] || fail "groups: kernel has '$want', JSON has '$got'"

# The text form gives the same verdicts.
"$P" iommu groups > "$tmp/groups.txt"
grep -q "^group $pf_group: not viable: $PF (Intel Corporation 82576 Gigabit Network Connection) is on igb$" \
	"$tmp/groups.txt" || fail "text verdict for the PF group"
edu_group=$(basename "$(readlink /sys/bus/pci/devices/$EDU/iommu_group)")
grep -q "^group $edu_group: viable$" "$tmp/groups.txt" || fail "text verdict for edu"
cat "$tmp/groups.txt"
echo "PASS: iommu groups (PF $PF, VFs $VFS, edu $EDU)"
