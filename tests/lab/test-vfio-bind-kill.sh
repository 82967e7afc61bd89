#!/bin/bash
# Lab: a bind killed with SIGKILL half way (after the first device is on
# vfio-pci, before the transaction ends) leaves records behind, and
# `partvm vfio restore --all` from a fresh process puts every device back
# on its original driver, with driver_override cleared.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
P=${PARTVM:-$PWD/build/partvm}
fail() { echo "FAIL: $*" >&2; exit 1; }
driver_of() { [ -e "/sys/bus/pci/devices/$1/driver" ] && basename "$(readlink "/sys/bus/pci/devices/$1/driver")" || true; }
STATE=/run/partvm/vfio

PF=$(lab_pci_find 8086:10c9)
EDU=$(lab_edu)
trap 'echo 0 > /sys/bus/pci/devices/$PF/sriov_numvfs' EXIT
# Start from no VFs: sriov_numvfs only changes from or to 0.
echo 0 > "/sys/bus/pci/devices/$PF/sriov_numvfs"
echo 3 > "/sys/bus/pci/devices/$PF/sriov_numvfs"
VFS=$(lab_pci_find 8086:10ca)
for vf in $VFS; do
	for _ in $(seq 300); do [ "$(driver_of "$vf")" = igbvf ] && break; sleep 0.1; done
	[ "$(driver_of "$vf")" = igbvf ] || fail "VF $vf did not get igbvf"
done
set -- $VFS
FIRST=$1
declare -A orig
for d in $VFS $EDU; do orig[$d]=$(driver_of "$d"); done

# Kill as soon as the first device has moved. The check is a bash builtin
# (no fork) so that it sees the first bind long before the last one; a
# bind that still finishes first is undone and tried again.
moved=4
for attempt in 1 2 3; do
	"$P" vfio bind --partition web $VFS "$EDU" >/dev/null &
	pid=$!
	SECONDS=0
	while [ ! -e "/sys/bus/pci/drivers/vfio-pci/$FIRST" ] && [ $SECONDS -lt 60 ]; do :; done
	kill -9 "$pid"
	status=0
	wait "$pid" 2>/dev/null || status=$?
	[ "$(driver_of "$FIRST")" = vfio-pci ] || fail "the first device never moved"
	moved=0
	for d in $VFS $EDU; do [ "$(driver_of "$d")" = vfio-pci ] && moved=$((moved + 1)); done
	left=$(ls "$STATE")
	echo "attempt $attempt: bind exit status $status; after kill -9: $moved of 4 on vfio-pci, records for: $(echo $left)"
	[ "$status" = 137 ] && [ "$moved" -lt 4 ] && break
	"$P" vfio restore --all >/dev/null
done
[ "$moved" -lt 4 ] || fail "the kill never interrupted the transaction"
[ -n "$left" ] || fail "the killed bind left no records"

"$P" vfio restore --all
for d in $VFS $EDU; do
	[ "$(driver_of "$d")" = "${orig[$d]}" ] || fail "$d on '$(driver_of "$d")', was '${orig[$d]}'"
	[ "$(cat /sys/bus/pci/devices/$d/driver_override)" = "(null)" ] || fail "$d driver_override not cleared"
done
[ -z "$(ls "$STATE")" ] || fail "records left after restore: $(ls "$STATE")"
echo "PASS: restore after kill -9 ($moved device(s) had moved)"
