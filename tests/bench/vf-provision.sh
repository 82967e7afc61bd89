#!/bin/sh
# vf_provision_ms: create 7 VFs on the lab's igb PF and give each a MAC, a
# VLAN and trust, once with `partvm host apply` (one command) and once with
# the equivalent shell script of `echo > sriov_numvfs` and `ip link set`.
# Runs inside the lab (tests/lab/run); both ways run twice, interleaved, and
# the faster run of each counts, so neither side gets a warmer cache.
# Prints: METRIC vf_provision_ms ours=... iplink=... ratio=...
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
partvm=${PARTVM:-$here/build/partvm}
pf=${PF:-eth0}
n=7
dev=/sys/class/net/$pf/device
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ms() { echo $(( $(date +%s%N) / 1000000 )); }

conf=$tmp/host.conf
{
	printf '[pf "%s"]\nvfs = %d\n' "$pf" "$n"
	i=0
	while [ $i -lt $n ]; do
		printf '[vf "%s/%d"]\nmac = 02:00:00:00:10:%02x\nvlan = %d\ntrust = on\n' \
			"$pf" $i $i $((100 + i))
		i=$((i + 1))
	done
} > "$conf"

reset() {
	echo 0 > "$dev/sriov_numvfs"
}

run_iplink() {
	echo $n > "$dev/sriov_numvfs"
	i=0
	while [ $i -lt $n ]; do
		ip link set dev "$pf" vf $i mac "$(printf '02:00:00:00:10:%02x' $i)" \
			vlan $((100 + i)) trust on
		i=$((i + 1))
	done
}

run_ours() {
	"$partvm" host apply "$conf" > "$tmp/apply.out"
}

# Both must leave the same state behind: check it once each.
verify() {
	i=0
	while [ $i -lt $n ]; do
		ip link show dev "$pf" | grep -q "vf $i .*link/ether $(printf '02:00:00:00:10:%02x' $i).*vlan $((100 + i)),.*trust on" ||
			{ echo "vf-provision: $1 left VF $i wrong" >&2; ip link show dev "$pf" >&2; exit 1; }
		i=$((i + 1))
	done
}

best_ours= best_ip=
for round in 1 2; do
	reset
	t0=$(ms); run_iplink; t1=$(ms)
	[ "$round" = 1 ] && verify iplink
	d=$((t1 - t0)); [ -z "$best_ip" ] || [ $d -lt "$best_ip" ] && best_ip=$d
	reset
	t0=$(ms); run_ours; t1=$(ms)
	[ "$round" = 1 ] && verify "partvm host apply"
	d=$((t1 - t0)); [ -z "$best_ours" ] || [ $d -lt "$best_ours" ] && best_ours=$d
done
reset
echo "vf-provision: runs (ms) best ours=$best_ours iplink=$best_ip" >&2
ratio=$(awk "BEGIN { printf \"%.3f\", $best_ours / $best_ip }")
echo "METRIC vf_provision_ms ours=$best_ours iplink=$best_ip ratio=$ratio"
