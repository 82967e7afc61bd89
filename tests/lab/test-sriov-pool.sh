#!/bin/bash
# Lab: two partitions acquire from the same igb PF at the same moment and
# get distinct VFs, configured and on vfio-pci; the VF count cannot change
# while they hold them (the holder is named); a partition that cannot get
# all its VFs gets none; release gives igbvf back with neutral settings.
. "$(dirname "$0")/sriov-lib.sh"

tmp=$(mktemp -d)
trap 'sriov_cleanup; rm -rf "$tmp"' EXIT
cat > "$tmp/web.conf" <<CONF
[partition]
name = web

[sriov "uplink"]
pf = $PFDEV
mac = 02:00:00:00:01:01
vlan = 100
trust = off
spoofchk = on
CONF
cat > "$tmp/db.conf" <<CONF
[partition]
name = db

[sriov "uplink"]
pf = $PF
mac = 02:00:00:00:02:01
vlan = 200
qos = 2
trust = on
CONF
cat > "$tmp/big.conf" <<CONF
[partition]
name = big

[sriov "a"]
pf = $PFDEV
vlan = 300

[sriov "b"]
pf = $PFDEV
vlan = 301
CONF

create_vfs 3
"$P" sriov acquire "$tmp/web.conf" > "$tmp/web.out" & w=$!
"$P" sriov acquire "$tmp/db.conf" > "$tmp/db.out" & d=$!
wait $w || fail "acquire web failed"
wait $d || fail "acquire db failed"
cat "$tmp/web.out" "$tmp/db.out"
vf_web=$(sed -n 's/.* VF \([0-9]*\) (.*/\1/p' "$tmp/web.out")
vf_db=$(sed -n 's/.* VF \([0-9]*\) (.*/\1/p' "$tmp/db.out")
[ -n "$vf_web" ] && [ -n "$vf_db" ] || fail "acquire did not say which VF"
[ "$vf_web" != "$vf_db" ] || fail "both partitions got VF $vf_web"
ok "concurrent acquires got distinct VFs $vf_web and $vf_db"

for x in "web $vf_web 02:00:00:00:01:01 100 0 false" "db $vf_db 02:00:00:00:02:01 200 2 true"; do
	read -r part vf mac vlan qos trust <<<"$x"
	bdf=$(vf_bdf "$vf")
	[ "$(driver_of "$bdf")" = vfio-pci ] || fail "$part's VF $vf is on '$(driver_of "$bdf")'"
	v=$(ip_vf "$vf")
	[ "$(jq -r .address <<<"$v")" = "$mac" ] || fail "$part VF $vf: $v"
	[ "$(jq -r .vlan_list[0].vlan <<<"$v")" = "$vlan" ] || fail "$part VF $vf: $v"
	[ "$(jq -r '.vlan_list[0].qos // 0' <<<"$v")" = "$qos" ] || fail "$part VF $vf: $v"
	[ "$(jq -r .trust <<<"$v")" = "$trust" ] || fail "$part VF $vf: $v"
	[ "$(jq -r .spoofchk <<<"$v")" = true ] || fail "$part VF $vf: $v"
	held=$("$P" sriov list --json | jq -r --arg pf "$PF" --argjson i "$vf" \
		'.[] | select(.bdf == $pf) | .vfs[$i].partition')
	[ "$held" = "$part" ] || fail "sriov list says VF $vf is held by '$held'"
	[ -e "/dev/vfio/$(basename "$(readlink "/sys/bus/pci/devices/$bdf/iommu_group")")" ] ||
		fail "no /dev/vfio node for $bdf"
	ok "$part holds VF $vf ($bdf) on vfio-pci: $v"
done
"$P" sriov list

# The VF count is refused while partitions hold VFs.
state=$(host_state)
status=0
err=$("$P" sriov create "$PFDEV" 2 2>&1) || status=$?
[ "$status" = 1 ] || fail "create while held: status $status"
lo=$(( vf_web < vf_db ? vf_web : vf_db ))
[ "$lo" = "$vf_web" ] && holder=web || holder=db
[ "$err" = "partvm: sriov create: $PFDEV VF $lo ($(vf_bdf $lo)) is held by partition $holder (pool 'uplink'); release it first, nothing was changed" ] ||
	fail "create while held said: $err"
[ "$(host_state)" = "$state" ] || fail "refused create changed the host"
ok "create refused: $err"

# Two sections, one free VF: all or nothing.
status=0
err=$("$P" sriov acquire "$tmp/big.conf" 2>&1) || status=$?
[ "$status" = 1 ] || fail "acquire big: status $status ($err)"
[ "$err" = "partvm: sriov acquire: big: [sriov \"b\"]: no free VF on $PFDEV (3 VFs, all held or in use); nothing is held" ] ||
	fail "acquire big said: $err"
[ "$(host_state)" = "$state" ] || fail "failed acquire left changes: $(host_state)"
ok "acquire without enough VFs takes none: $err"

out=$("$P" sriov release "$tmp/web.conf")
[ "$out" = "sriov release: 1 VF(s) neutralised and returned to the pool for partition web" ] ||
	fail "release web printed '$out'"
[ "$(driver_of "$(vf_bdf "$vf_web")")" = igbvf ] || fail "web's VF not back on igbvf"
assert_neutral "$vf_web"
[ "$(driver_of "$(vf_bdf "$vf_db")")" = vfio-pci ] || fail "releasing web touched db's VF"
"$P" sriov release --partition db >/dev/null
[ "$(driver_of "$(vf_bdf "$vf_db")")" = igbvf ] || fail "db's VF not back on igbvf"
assert_neutral "$vf_db"
[ -z "$(ls /run/partvm/sriov 2>/dev/null)" ] && [ -z "$(ls /run/partvm/vfio 2>/dev/null)" ] || fail "records left"
"$P" sriov list
echo "PASS: pools"
