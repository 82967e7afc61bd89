#!/bin/bash
# Lab: bind a VF and then edu to vfio-pci on the real kernel: each gets
# /dev/vfio/N, a record in /run/partvm/vfio, and binding again does
# nothing; unbind gives the VF back to igbvf and leaves edu driverless,
# with driver_override cleared. Also the ExecStopPost path: restore
# --partition restores only that partition's devices.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
P=${PARTVM:-$PWD/build/partvm}
fail() { echo "FAIL: $*" >&2; exit 1; }
driver_of() { [ -e "/sys/bus/pci/devices/$1/driver" ] && basename "$(readlink "/sys/bus/pci/devices/$1/driver")" || true; }
group_of() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"; }
override_of() { cat "/sys/bus/pci/devices/$1/driver_override"; }
STATE=/run/partvm/vfio

PF=$(lab_pci_find 8086:10c9)
EDU=$(lab_edu)
trap '"$P" vfio restore --all --force >/dev/null 2>&1 || true; echo 0 > /sys/bus/pci/devices/$PF/sriov_numvfs' EXIT
# Start from no VFs: sriov_numvfs only changes from or to 0.
echo 0 > "/sys/bus/pci/devices/$PF/sriov_numvfs"
echo 2 > "/sys/bus/pci/devices/$PF/sriov_numvfs"
set -- $(lab_pci_find 8086:10ca)
VF=$1 VF2=$2
for vf in $VF $VF2; do
	for _ in $(seq 300); do [ "$(driver_of "$vf")" = igbvf ] && break; sleep 0.1; done
	[ "$(driver_of "$vf")" = igbvf ] || fail "VF $vf did not get igbvf"
done
[ "$(driver_of "$EDU")" = "" ] || fail "edu starts with a driver"

# Bind the VF, then edu (short BDF form for edu).
out=$("$P" vfio bind "$VF")
echo "$out"
[ "$(driver_of "$VF")" = vfio-pci ] || fail "VF not on vfio-pci"
[ -c "/dev/vfio/$(group_of "$VF")" ] || fail "no /dev/vfio/$(group_of "$VF") for the VF"
[ "$out" = "$VF (Intel Corporation 82576 Virtual Function): bound to vfio-pci (was igbvf), /dev/vfio/$(group_of "$VF")" ] ||
	fail "bind message: $out"
grep -qx driver=igbvf "$STATE/$VF" || fail "record lacks the original driver"
"$P" vfio bind "${EDU#0000:}"
[ "$(driver_of "$EDU")" = vfio-pci ] || fail "edu not on vfio-pci"
[ -c "/dev/vfio/$(group_of "$EDU")" ] || fail "no /dev/vfio/$(group_of "$EDU") for edu"
grep -qx driver= "$STATE/$EDU" || fail "edu record must say no driver"
"$P" devices | grep "^$VF " | grep -q "held by partvm vfio bind, was igbvf" || fail "devices does not show the hold"

# Idempotent: a second bind changes nothing and says so.
out=$("$P" vfio bind "$VF")
[ "$out" = "$VF (Intel Corporation 82576 Virtual Function): already bound by partvm, nothing to do" ] ||
	fail "second bind said: $out"
[ "$(driver_of "$VF")" = vfio-pci ] || fail "second bind moved the VF"

# Unbind gives back what was there.
"$P" vfio unbind "$VF" "$EDU"
[ "$(driver_of "$VF")" = igbvf ] || fail "VF not back on igbvf (on '$(driver_of "$VF")')"
[ "$(driver_of "$EDU")" = "" ] || fail "edu should have no driver, has $(driver_of "$EDU")"
[ "$(override_of "$VF")" = "(null)" ] || fail "VF driver_override left as $(override_of "$VF")"
[ "$(override_of "$EDU")" = "(null)" ] || fail "edu driver_override left as $(override_of "$EDU")"
[ ! -e "$STATE/$VF" ] && [ ! -e "$STATE/$EDU" ] || fail "records left behind"
[ ! -e "/dev/vfio/$(group_of "$VF")" ] || fail "/dev/vfio node of the VF still there"

# A device partvm did not bind cannot be "restored".
if err=$("$P" vfio unbind "$VF" 2>&1); then fail "unbind of an unheld device succeeded"; fi
[ "$err" = "partvm: $VF (Intel Corporation 82576 Virtual Function): partvm holds no record of binding it (in /run/partvm/vfio); only devices that partvm bound can be restored" ] ||
	fail "unheld unbind said: $err"

# restore --partition: only that partition's devices go back.
"$P" vfio bind --partition web "$VF" >/dev/null
"$P" vfio bind --partition db "$VF2" "$EDU" >/dev/null
"$P" vfio restore --partition web
[ "$(driver_of "$VF")" = igbvf ] || fail "web's VF not restored"
[ "$(driver_of "$VF2")" = vfio-pci ] && [ "$(driver_of "$EDU")" = vfio-pci ] || fail "db's devices were touched"
out=$("$P" vfio restore --partition db)
[ "$out" = "vfio restore: 2 device(s) given back for partition db" ] || fail "restore said: $out"
[ "$(driver_of "$VF2")" = igbvf ] && [ "$(driver_of "$EDU")" = "" ] || fail "db's devices not restored"
[ -z "$(ls "$STATE")" ] || fail "records left: $(ls "$STATE")"
echo "PASS: vfio bind/unbind/restore (VF $VF, VF2 $VF2, edu $EDU)"
