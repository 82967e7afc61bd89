# Sourced by the SR-IOV lab tests (tests/lab/test-sriov-*.sh, test-host-apply.sh).
# Bash, inside the lab host. Sets P (partvm), PF (the igb PF's BDF), PFDEV
# (its interface) and PFSYS; a trap puts the PF back to 0 VFs with no
# partvm state left, whatever the test did.
set -euo pipefail

P=${PARTVM:-$PWD/build/partvm}
case $P in /*) ;; *) P=$PWD/$P ;; esac

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

find_pci() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = "0x$1" ] && [ "$(cat "$d/device")" = "0x$2" ] && basename "$d"
	done
	return 0
}
driver_of() {
	if [ -e "/sys/bus/pci/devices/$1/driver" ]; then basename "$(readlink "/sys/bus/pci/devices/$1/driver")"; fi
}
vf_bdf() { basename "$(readlink "$PFSYS/virtfn$1")"; }

PF=$(find_pci 8086 10c9)
[ -n "$PF" ] || fail "no igb PF (8086:10c9) in the lab"
PFSYS=/sys/bus/pci/devices/$PF
PFDEV=$(ls "$PFSYS/net")

sriov_cleanup() {
	"$P" sriov release --all --force >/dev/null 2>&1 || true
	"$P" vfio restore --all --force >/dev/null 2>&1 || true
	echo 0 > "$PFSYS/sriov_numvfs" || true
	echo 1 > "$PFSYS/sriov_drivers_autoprobe" || true
	ip link set "$PFDEV" down || true
}
trap sriov_cleanup EXIT

# One VF's attributes as iproute2 reports them, as compact JSON.
ip_vf() {
	ip -j -d link show dev "$PFDEV" | jq -c --argjson i "$1" '.[0].vfinfo_list[] | select(.vf == $i)'
}
# Everything a bad input must not change: the VF count, every VF's driver
# and attributes (iproute2's view), and partvm's records.
host_state() {
	cat "$PFSYS/sriov_numvfs"
	local i
	for ((i = 0; i < $(cat "$PFSYS/sriov_numvfs"); i++)); do
		echo "vf $i $(vf_bdf $i) $(driver_of "$(vf_bdf $i)")"
	done
	ip -j -d link show dev "$PFDEV" | jq -c '.[0].vfinfo_list'
	ls -A /run/partvm/sriov /run/partvm/vfio 2>/dev/null | grep -v '^\.lock$' || true
}

# create_vfs N: partvm sriov create, checked against sysfs.
create_vfs() {
	local out
	out=$("$P" sriov create "$PFDEV" "$1")
	[ "$out" = "$PFDEV: $1 VFs (was 0)" ] || fail "sriov create printed '$out'"
	[ "$(cat "$PFSYS/sriov_numvfs")" = "$1" ] || fail "numvfs is $(cat "$PFSYS/sriov_numvfs"), not $1"
	local i
	for ((i = 0; i < $1; i++)); do
		[ "$(driver_of "$(vf_bdf $i)")" = igbvf ] || fail "VF $i is on '$(driver_of "$(vf_bdf $i)")', not igbvf"
		[ -n "$(ls "/sys/bus/pci/devices/$(vf_bdf $i)/net" 2>/dev/null)" ] || fail "VF $i has no netdev after create"
	done
	ok "sriov create $PFDEV $1: $1 VFs on igbvf with their netdevs"
}

# assert_neutral I: VF I has the settings a released VF must have.
assert_neutral() {
	local v
	v=$(ip_vf "$1")
	[ "$(jq -r .address <<<"$v")" = 00:00:00:00:00:00 ] || fail "VF $1 MAC not neutral: $v"
	[ "$(jq -r '.vlan_list[0].vlan // 0' <<<"$v")" = 0 ] || fail "VF $1 VLAN not 0: $v"
	[ "$(jq -r '.vlan_list[0].qos // 0' <<<"$v")" = 0 ] || fail "VF $1 QoS not 0: $v"
	[ "$(jq -r .trust <<<"$v")" = false ] || fail "VF $1 trust not off: $v"
	[ "$(jq -r .spoofchk <<<"$v")" = true ] || fail "VF $1 spoofchk not on: $v"
	[ "$(jq -r .rate.max_tx <<<"$v")" = 0 ] || fail "VF $1 max rate not 0: $v"
	[ "$(jq -r .rate.min_tx <<<"$v")" = 0 ] || fail "VF $1 min rate not 0: $v"
	ok "VF $1 neutral (iproute2: $v)"
}
