#!/bin/bash
# A partition with an SR-IOV VF from a pool, under a real systemd (see
# test-systemd-partition.sh for the setup): partvm-host.service creates the
# VFs; `systemctl start partvm@test` takes one ([sriov "uplink"]), the PF
# gives it the pool's MAC and VLAN, and the guest's igbvf takes that MAC
# once the PF is up (partvm warns while it is down);
# partvm list shows it;
# `systemctl stop` shuts the guest down over ACPI and the VF is back on
# igbvf with neutral settings; after a kill -9 of partvm, systemd's
# ExecStopPost gives it back the same way.
# Needs `partvm run` to take VFs from pools (the VFIO integration).
# lab: low-bars timeout=2400
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/systemd-lib.sh"
pfdev=
trap 'sd_cleanup; [ -z "$pfdev" ] || ip link set "$pfdev" down' EXIT

pf=$(lab_pci_find 8086:10c9)
pfsys=/sys/bus/pci/devices/$pf
driver_of() { [ -e "/sys/bus/pci/devices/$1/driver" ] && basename "$(readlink "/sys/bus/pci/devices/$1/driver")"; }
ip_vf() { ip -j -d link show dev "$pfdev" | jq -c --argjson i "$1" '.[0].vfinfo_list[] | select(.vf == $i)'; }
# VF 0 as iproute2 reports it: MAC, VLAN, trust, spoofchk.
vf0() { jq -r '"\(.address) \(.vlan_list[0].vlan // 0) \(.trust) \(.spoofchk)"' <<<"$(ip_vf 0)"; }

sd_guest_initrd "$TMPDIR/initrd.gz" igbvf
sd_setup
cp "$LAB_BZIMAGE" "$M/var/lib/partvm-images/vmlinuz"
cp "$TMPDIR/initrd.gz" "$M/var/lib/partvm-images/test-initrd.gz"
printf '[pf "%s"]\nvfs = 2\n' "$pf" >"$M/etc/partvm/host.conf"
cat >"$M/etc/partvm/test.conf" <<EOF
[partition]
memory = 256M
cpus = 1
shutdown-timeout = 120
[boot]
kernel = /var/lib/partvm-images/vmlinuz
initrd = /var/lib/partvm-images/test-initrd.gz
cmdline = console=ttyS0 panic=-1 quiet
[sriov "uplink"]
pf = $pf
mac = 02:00:00:00:00:42
vlan = 42
EOF
ln -s /usr/lib/systemd/system/partvm-host.service "$M/etc/systemd/system/multi-user.target.wants/"
sd_boot
# udev inside may have renamed the PF's interface: look it up now.
pfdev=$(ls "$pfsys/net")
echo "lab: the PF is $pf ($pfdev)"

assert_eq "VFs created by partvm-host.service" 2 "$(cat "$pfsys/sriov_numvfs")"
vf=$(basename "$(readlink "$pfsys/virtfn0")")
assert_eq "VF 0 ($vf) before the partition" "igbvf" "$(driver_of "$vf")"

# pf_up: the PF's interface is administratively up (IFF_UP), as partvm
# reads it.
pf_up() { [ $(($(cat "/sys/class/net/$pfdev/flags") & 1)) = 1 ]; }

# check_start WHAT: start partvm@test; the guest has the VF with its
# settings. With the PF down (nothing in the lab's systemd brings it up)
# partvm says so, and the guest's igbvf gets no answer from the PF, so no
# MAC; with the PF up igbvf takes the pool's MAC from it.
check_start() {
	local since mac=02:00:00:00:00:42 down="partition test: VF $vf's PF $pfdev is down"
	since=$(sd date '+%Y-%m-%d %H:%M:%S')
	sd systemctl start partvm@test.service || {
		sd_journal partvm@test.service | tail -n 30 | sed 's/^/    | /'
		lab_fail "$1: systemctl start partvm@test failed"
	}
	assert_eq "$1: partvm@test" "active running" "$(sd_state partvm@test.service)"
	sd_wait_journal partvm@test.service '^guest: ready' 900 --since "$since"
	assert_eq "$1: VF 0 while the partition runs" vfio-pci "$(driver_of "$vf")"
	assert_eq "$1: VF 0 settings (ip link)" "02:00:00:00:00:42 42" "$(vf0 | cut -d' ' -f1-2)"
	local journal
	journal=$(sd_journal partvm@test.service --since "$since")
	assert_match "$1: the guest's lspci" 'guest-lspci: .*\[8086:10ca\]' "$journal"
	if pf_up; then
		[[ $journal != *"$down"* ]] || lab_fail "$1: partvm says the PF is down while it is up"
	else
		assert_contains "$1: partvm on the PF" "$down" "$journal"
		mac='[0-9a-f:]{17}'
	fi
	assert_match "$1: the guest's VF netdev" "guest: net [a-z0-9]+ $mac igbvf" "$journal"
	sd partvm list >"$TMPDIR/list.txt"
	cat "$TMPDIR/list.txt"
	assert_contains "$1: partvm list" "$vf" "$(cat "$TMPDIR/list.txt")"
}

# check_returned WHAT: VF 0 back on igbvf, neutral, no pool record. With
# the PF up, the host's igbvf then sets a MAC of its own choice through
# the PF (allowed: partvm cleared the pool's), so the PF reports that one.
check_returned() {
	local want="00:00:00:00:00:00 0 false true" ifmac
	assert_eq "$1: VF 0 driver" igbvf "$(driver_of "$vf")"
	if pf_up; then
		for _ in $(seq 50); do
			ifmac=$(cat "/sys/bus/pci/devices/$vf/net/"*/address 2>/dev/null || true)
			[ -n "$ifmac" ] && [ "$(vf0 | cut -d' ' -f1)" = "$ifmac" ] && break
			sleep 0.2
		done
		[ -n "$ifmac" ] && [ "$ifmac" != 02:00:00:00:00:42 ] ||
			lab_fail "$1: the host's igbvf has MAC '$ifmac'"
		want="$ifmac 0 false true"
	fi
	assert_eq "$1: VF 0 settings (mac vlan trust spoofchk)" "$want" "$(vf0)"
	[ -z "$(ls "$M/run/partvm/sriov" 2>/dev/null | grep -v '^\.lock$')" ] ||
		lab_fail "$1: pool records left: $(ls "$M/run/partvm/sriov")"
	echo "ok: $1: the VF is back with neutral settings"
}

check_start "first start, the PF down"
sd systemctl status --no-pager --lines=6 partvm@test.service || true
sd systemctl stop partvm@test.service
journal=$(sd_journal partvm@test.service)
assert_contains "the guest on stop" "guest: power button pressed, powering off" "$journal"
assert_match "the guest kernel's own poweroff" 'reboot: Power down' "$journal"
assert_eq "partvm@test after stop" "inactive success 0" "$(sd_props partvm@test.service ActiveState Result ExecMainStatus)"
check_returned "after systemctl stop"

ip link set "$pfdev" up
for _ in $(seq 100); do [ "$(cat "/sys/class/net/$pfdev/operstate")" = up ] && break; sleep 0.2; done
since=$(sd date '+%Y-%m-%d %H:%M:%S')
check_start "second start, the PF up"
sd kill -9 "$(sd systemctl show -P MainPID partvm@test.service)"
sd_wait_state partvm@test.service failed 300
assert_contains "ExecStopPost after kill -9" "1 SR-IOV pool VF(s) neutralised and returned" \
	"$(sd_journal partvm@test.service --since "$since")"
check_returned "after kill -9"

sd_poweroff
echo "PASS: a pool VF through systemd start, stop and kill -9"
