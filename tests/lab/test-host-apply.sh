#!/bin/bash
# Lab: `partvm host apply` brings the host to a host.conf (VF count, VF
# settings, a VF reserved for vfio-pci, hugepages), printing each change;
# a second run changes nothing; a bad file changes nothing and names the
# line; a failure half way undoes what was done.
. "$(dirname "$0")/sriov-lib.sh"

HP=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
tmp=$(mktemp -d)
hp0=$(cat $HP)
trap 'sriov_cleanup; echo "$hp0" > $HP; rm -rf "$tmp"' EXIT

cat > "$tmp/host.conf" <<CONF
[pf "$PFDEV"]
vfs = 4
vfio = 3

[vf "$PFDEV/0"]
mac = 02:00:00:00:00:10
vlan = 100
trust = on

[vf "$PF/3"]
mac = 02:00:00:00:00:13
vlan = 300
qos = 1

[hugepages]
2M = 16
CONF

out=$("$P" host apply "$tmp/host.conf")
echo "$out"
want="$PFDEV: 4 VFs (was 0)
$PFDEV vf 0: mac 00:00:00:00:00:00 -> 02:00:00:00:00:10
$PFDEV vf 0: vlan 0 -> 100
$PFDEV vf 0: trust off -> on
$PF vf 3: mac 00:00:00:00:00:00 -> 02:00:00:00:00:13
$PF vf 3: vlan 0 -> 300
$PF vf 3: qos 0 -> 1
$PFDEV vf 3 ($(vf_bdf 3)): igbvf -> vfio-pci
hugepages 2048kB: $hp0 -> 16
host apply: $tmp/host.conf: 5 change(s)"
[ "$out" = "$want" ] || fail "host apply printed something else; expected:
$want"
ok "host apply printed each change"
[ "$(cat "$PFSYS/sriov_numvfs")" = 4 ] || fail "numvfs $(cat "$PFSYS/sriov_numvfs")"
[ "$(cat $HP)" = 16 ] || fail "nr_hugepages $(cat $HP)"
[ "$(driver_of "$(vf_bdf 3)")" = vfio-pci ] || fail "VF 3 on $(driver_of "$(vf_bdf 3)")"
line0=$(ip -d link show dev "$PFDEV" | grep -E '^ +vf 0 ')
line3=$(ip -d link show dev "$PFDEV" | grep -E '^ +vf 3 ')
grep -qE 'link/ether 02:00:00:00:00:10 .*vlan 100,.*trust on' <<<"$line0" || fail "VF 0: $line0"
grep -qE 'link/ether 02:00:00:00:00:13 .*vlan 300, qos 1,.*trust off' <<<"$line3" || fail "VF 3: $line3"
ok "ip -d link show agrees: $line0 / $line3"

out=$("$P" host apply "$tmp/host.conf")
[ "$out" = "host apply: $tmp/host.conf: nothing to change" ] || fail "second apply printed: $out"
ok "second apply: $out"

# Bad input: named by file and line, nothing changed.
state="$(host_state) $(cat $HP)"
printf '[pf "%s"]\nvfs = 4\nvfio = 4\n' "$PFDEV" > "$tmp/bad.conf"
status=0
err=$("$P" host apply "$tmp/bad.conf" 2>&1) || status=$?
[ "$status" = 2 ] && [ "$err" = "partvm: host apply: $tmp/bad.conf:3: [pf \"$PFDEV\"]: vfio: VF 4 does not exist (4 VFs)" ] ||
	fail "bad vfio: $status $err"
printf '[vf "%s/1"]\nmac = 02:00:00:00:00:11\nvlan = 4095\n' "$PFDEV" > "$tmp/bad.conf"
status=0
err=$("$P" host apply "$tmp/bad.conf" 2>&1) || status=$?
[ "$status" = 2 ] && [ "$err" = "partvm: host apply: $tmp/bad.conf:3: vlan: 4095 is above 4094" ] ||
	fail "bad vlan: $status $err"
[ "$(host_state) $(cat $HP)" = "$state" ] || fail "bad input changed the host"
ok "bad host configs refused by line, host unchanged"

# A failure after changes: VF 1 and VF 2 get settings, then igb refuses
# VF 2's link-state; VF 1 must be put back too.
printf '[vf "%s/1"]\nmac = 02:00:00:00:00:11\n[vf "%s/2"]\nvlan = 22\nlink-state = enable\n' \
	"$PFDEV" "$PFDEV" > "$tmp/fail.conf"
status=0
err=$("$P" host apply "$tmp/fail.conf" 2>&1) || status=$?
echo "$err"
[ "$status" = 1 ] || fail "failing apply: status $status"
grep -qF "the driver refused link-state=enable: Operation not supported; restored vlan=0; the earlier changes were undone" <<<"$err" ||
	fail "failing apply said: $err"
[ "$(host_state) $(cat $HP)" = "$state" ] || fail "failed apply left changes: $(ip -d link show dev "$PFDEV")"
ok "failed apply undone"
echo "PASS: host apply"
