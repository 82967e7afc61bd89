#!/bin/bash
# Lab: 3 VFs on the igb PF; every attribute set on VF 1 with one
# `partvm sriov set`, each checked against `ip -d link show`; `sriov list
# --json` agrees with iproute2 on every VF; and each attribute igb refuses
# (link-state, query-rss, min-rate, 802.1ad) is named and rolls back the
# change made before it.
. "$(dirname "$0")/sriov-lib.sh"

create_vfs 3
# igb only rate-limits with the link up.
ip link set "$PFDEV" up
for _ in $(seq 100); do [ "$(cat /sys/class/net/$PFDEV/operstate)" = up ] && break; sleep 0.1; done

out=$("$P" sriov set "$PFDEV" 1 mac=02:11:22:33:44:55 vlan=100 qos=3 vlan-proto=802.1Q \
	spoofchk=off trust=on link-state=auto min-rate=0 max-rate=100)
echo "$out"
for change in "mac 00:00:00:00:00:00 -> 02:11:22:33:44:55" "vlan 0 -> 100" "qos 0 -> 3" \
	"spoofchk on -> off" "trust off -> on" "max-rate 0 -> 100"; do
	grep -qxF "$PFDEV vf 1: $change" <<<"$out" || fail "set did not report '$change'"
done

# iproute2's text, attribute by attribute.
line=$(ip -d link show dev "$PFDEV" | grep -E '^ +vf 1 ')
echo "ip -d link show: $line"
for want in "link/ether 02:11:22:33:44:55" "vlan 100, qos 3" "max_tx_rate 100Mbps" \
	"spoof checking off" "link-state auto" "trust on"; do
	grep -qF "$want" <<<"$line" || fail "ip -d link show has no '$want' for VF 1"
	ok "ip -d link show: VF 1 $want"
done
v=$(ip_vf 1)
[ "$(jq -r '.rate.min_tx' <<<"$v")" = 0 ] || fail "min_tx_rate is not 0: $v"
[ "$(jq -r '.vlan_list[0].protocol // "802.1Q"' <<<"$v")" = 802.1Q ] || fail "vlan protocol: $v"
ok "ip -j: VF 1 min_tx_rate 0, VLAN protocol 802.1Q"

# `sriov set PF VF` without keys prints what is set, in its own syntax.
cur=$("$P" sriov set "$PFDEV" 1)
want=$'mac=02:11:22:33:44:55\nvlan=100\nqos=3\nvlan-proto=802.1Q\nspoofchk=off\ntrust=on\nlink-state=auto\nmin-rate=0\nmax-rate=100\nquery-rss=unsupported'
[ "$cur" = "$want" ] || fail "sriov set $PFDEV 1 printed: $cur"
ok "sriov set $PFDEV 1 prints the settings"

# `sriov list --json` against iproute2, every VF, every attribute.
ours=$("$P" sriov list --json | jq -c --arg pf "$PF" '.[] | select(.bdf == $pf) |
	[.vfs[] | {vf, mac, vlan, qos, spoofchk, trust, link_state, min_rate, max_rate}]')
theirs=$(ip -j -d link show dev "$PFDEV" | jq -c '[.[0].vfinfo_list[] | {vf, mac: .address,
	vlan: (.vlan_list[0].vlan // 0), qos: (.vlan_list[0].qos // 0), spoofchk, trust,
	link_state, min_rate: .rate.min_tx, max_rate: .rate.max_tx}]')
echo "sriov list --json: $ours"
echo "ip -j -d link:     $theirs"
[ "$ours" = "$theirs" ] || fail "sriov list --json and iproute2 disagree"
pfinfo=$("$P" sriov list --json | jq -c --arg pf "$PF" '.[] | select(.bdf == $pf) |
	{ifname, driver, totalvfs, numvfs, vfs: [.vfs[] | {bdf, driver}]}')
want=$(jq -cn --arg i "$PFDEV" --arg a "$(vf_bdf 0)" --arg b "$(vf_bdf 1)" --arg c "$(vf_bdf 2)" \
	'{ifname: $i, driver: "igb", totalvfs: 7, numvfs: 3, vfs: [{bdf: $a, driver: "igbvf"},
	{bdf: $b, driver: "igbvf"}, {bdf: $c, driver: "igbvf"}]}')
[ "$pfinfo" = "$want" ] || fail "sriov list --json PF: $pfinfo, expected $want"
ok "sriov list --json matches iproute2 and sysfs"

# Refusals: a MAC change first, then an attribute igb does not implement.
before=$(ip_vf 1)
for refused in "link-state=enable:link-state=enable: Operation not supported" \
	"query-rss=on:query-rss=on: Operation not supported" \
	"min-rate=10:min-rate=10: Invalid argument" \
	"vlan-proto=802.1ad:vlan-proto=802.1ad: Protocol not supported"; do
	key=${refused%%:*} msg=${refused#*:}
	status=0
	err=$("$P" sriov set "$PFDEV" 1 mac=02:00:00:00:00:99 "$key" 2>&1 >/dev/null) || status=$?
	[ "$status" = 1 ] || fail "set $key: exit status $status, expected 1 ($err)"
	[ "$(wc -l <<<"$err")" = 1 ] || fail "set $key: more than one line: $err"
	grep -qF "the driver refused $msg; restored mac=02:11:22:33:44:55" <<<"$err" ||
		fail "set $key: message '$err'"
	[ "$(ip_vf 1)" = "$before" ] || fail "set $key left VF 1 as $(ip_vf 1), was $before"
	ok "refused $key named and rolled back: $err"
done
echo "PASS: sriov set and list on igb"
