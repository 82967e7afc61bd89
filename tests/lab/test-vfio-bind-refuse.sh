#!/bin/bash
# Lab: refusals on the real kernel, each one line naming the device and
# the reason, with nothing changed: the PF while its interface is up with
# an address, a host bridge, a device that does not exist, a malformed
# address; then a transaction where the last device is refused leaves the
# earlier ones untouched.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
P=${PARTVM:-$PWD/build/partvm}
fail() { echo "FAIL: $*" >&2; exit 1; }
driver_of() { [ -e "/sys/bus/pci/devices/$1/driver" ] && basename "$(readlink "/sys/bus/pci/devices/$1/driver")" || true; }
# refuse STATUS EXPECTED-STDERR ARGS...: exact one-line message and status
refuse() {
	local want_status=$1 want=$2 err status=0
	shift 2
	err=$("$P" vfio bind "$@" 2>&1 >/dev/null) || status=$?
	[ "$status" = "$want_status" ] || fail "bind $*: exit $status, want $want_status ($err)"
	[ "$err" = "$want" ] || fail "bind $*: said '$err', want '$want'"
	echo "refused as expected: $err"
}

PF=$(lab_pci_find 8086:10c9)
EDU=$(lab_edu)
IF=$(ls /sys/bus/pci/devices/$PF/net)
trap 'ip addr flush dev $IF; ip link set $IF down' EXIT
ip link set "$IF" up
ip addr add 192.0.2.10/24 dev "$IF"

refuse 1 "partvm: $PF (Intel Corporation 82576 Gigabit Network Connection): in use by the host: network interface $IF is up with an address; stop the host from using it first" "$PF"
[ "$(driver_of "$PF")" = igb ] || fail "PF lost igb"
refuse 1 "partvm: 0000:00:00.0 (Intel Corporation 82G33/G31/P35/P31 Express DRAM Controller): is a host bridge (class 060000), not a device to pass through; pass through the endpoints behind it instead" 00:00.0
refuse 1 "partvm: 0000:00:1e.7: no such PCI device; see 'partvm devices' for the PCI devices of this host" 0000:00:1e.7
refuse 2 "partvm: '00:12' is not a PCI address; write DDDD:BB:DD.F or BB:DD.F, e.g. 0000:00:12.0" 00:12
refuse 2 "partvm: '0000:00:12.8' is not a PCI address; write DDDD:BB:DD.F or BB:DD.F, e.g. 0000:00:12.0" 0000:00:12.8
# The device holding the lab's root filesystem (virtio-9p).
ROOTDEV=$("$P" devices --json | jq -r '.devices[] | select(.in_use_reason == "holds the root filesystem") | .bdf')
[ -n "$ROOTDEV" ] || fail "no device reported as holding the root filesystem"
refuse 1 "partvm: $ROOTDEV (Red Hat, Inc. Virtio filesystem): in use by the host: holds the root filesystem; stop the host from using it first" "$ROOTDEV"
# All or nothing: edu is fine, the PF is refused, so edu stays as it was.
refuse 1 "partvm: $PF (Intel Corporation 82576 Gigabit Network Connection): in use by the host: network interface $IF is up with an address; stop the host from using it first" "$EDU" "$PF"
[ "$(driver_of "$EDU")" = "" ] || fail "edu was bound although the transaction was refused"
[ -z "$(ls /run/partvm/vfio 2>/dev/null)" ] || fail "a refused bind left records"

# Down and without an address, the PF is no longer in use by the host.
ip addr flush dev "$IF"
ip link set "$IF" down
[ "$("$P" devices --json | jq -r ".devices[] | select(.bdf == \"$PF\") | .in_use")" = false ] ||
	fail "PF still in use with its interface down"
echo "PASS: refusals"
