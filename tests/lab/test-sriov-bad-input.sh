#!/bin/bash
# Lab: every kind of bad input to `partvm sriov` exits 2 with one line that
# names the PF, VF or key, and leaves the VF count, every VF's driver and
# attributes, and partvm's records exactly as they were.
# lab: timeout=900
. "$(dirname "$0")/sriov-lib.sh"

create_vfs 3
"$P" sriov set "$PFDEV" 2 mac=02:00:00:00:00:02 vlan=7 trust=on >/dev/null
EDU=$(lab_edu)
state=$(host_state)

check() { # check EXPECTED-MESSAGE COMMAND-ARGS...
	local want=$1 status=0 err
	shift
	err=$("$P" "$@" 2>&1 >/dev/null) || status=$?
	[ "$status" = 2 ] || fail "partvm $*: exit status $status, expected 2 ($err)"
	[ "$(wc -l <<<"$err")" = 1 ] || fail "partvm $*: not one line: $err"
	[ "$err" = "partvm: $want" ] || fail "partvm $*: said '$err', expected 'partvm: $want'"
	[ "$(host_state)" = "$state" ] || fail "partvm $* changed the host"
	ok "partvm $*: $err"
}

check "sriov create: eth9: no such network interface or PCI device" sriov create eth9 2
check "sriov create: 0000:00:1e.7: no such network interface or PCI device" sriov create 0000:00:1e.7 2
check "sriov create: $EDU is not an SR-IOV PF" sriov create "$EDU" 1
check "sriov destroy: lo is not an SR-IOV PF" sriov destroy lo
check "sriov create: $PFDEV: 8 VFs requested, but the PF supports at most 7" sriov create "$PFDEV" 8
check "sriov create: $PFDEV: N must not be negative (got -1)" sriov create "$PFDEV" -1
check "sriov create: $PFDEV: N 'two' is not a number" sriov create "$PFDEV" two
check "sriov set: $PFDEV: VF 3 does not exist (numvfs is 3)" sriov set "$PFDEV" 3 vlan=5
check "sriov set: eth9: no such network interface or PCI device" sriov set eth9 0 vlan=5
check "sriov set: $PFDEV vf 1: mac: 01:00:5e:00:00:01 is a multicast address" \
	sriov set "$PFDEV" 1 mac=01:00:5e:00:00:01
check "sriov set: $PFDEV vf 1: mac: ff:ff:ff:ff:ff:ff is the broadcast address" \
	sriov set "$PFDEV" 1 mac=ff:ff:ff:ff:ff:ff
check "sriov set: $PFDEV vf 1: mac: '02:00:00:00:00' is not a MAC address (xx:xx:xx:xx:xx:xx)" \
	sriov set "$PFDEV" 1 mac=02:00:00:00:00
check "sriov set: $PFDEV vf 1: vlan: 4095 is above 4094" sriov set "$PFDEV" 1 vlan=4095
check "sriov set: $PFDEV vf 1: qos: 8 is above 7" sriov set "$PFDEV" 1 vlan=5 qos=8
check "sriov set: $PFDEV vf 1: min-rate: 200 is above max-rate 100 (Mbit/s); nothing was changed" \
	sriov set "$PFDEV" 1 mac=02:00:00:00:00:01 min-rate=200 max-rate=100
check "sriov set: $PFDEV vf 1: unknown key 'speed' (known: mac, vlan, qos, vlan-proto, spoofchk, trust, link-state, min-rate, max-rate, query-rss)" \
	sriov set "$PFDEV" 1 speed=10
check "sriov set: $PFDEV vf 1: trust: 'maybe' is not a boolean (on/off, yes/no, true/false, 1/0)" \
	sriov set "$PFDEV" 1 trust=maybe
check "sriov set: $PFDEV vf 1: spoofchk: '2' is not a boolean (on/off, yes/no, true/false, 1/0)" \
	sriov set "$PFDEV" 1 spoofchk=2
check "sriov set: $PFDEV vf 1: vlan-proto: '802.1x' is neither 802.1Q nor 802.1ad" \
	sriov set "$PFDEV" 1 vlan-proto=802.1x
check "sriov set: $PFDEV vf 1: link-state: 'up' is not auto, enable or disable" \
	sriov set "$PFDEV" 1 link-state=up
# A valid key before a bad one: nothing is applied.
check "sriov set: $PFDEV vf 2: vlan: 5000 is above 4094" \
	sriov set "$PFDEV" 2 mac=02:00:00:00:00:22 vlan=5000
echo "PASS: bad input refused, host unchanged"
