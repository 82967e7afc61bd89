#!/bin/bash
# vf_provision_ms: create 7 VFs on the lab's igb PF and give each a MAC, a
# VLAN and trust, once with `partvm host apply` (one command) and once with
# the equivalent shell script of `echo > sriov_numvfs` and `ip link set`.
# Runs inside the lab (tests/lab/run). VF creation dominates both and varies
# by seconds from run to run under TCG on a shared machine: each way runs
# BENCH_SAMPLES (10) times, interleaved with the order alternating,
# min/median/max (tests/bench/lib.sh).
# Prints: METRIC vf_provision_ms ours=... iplink=... ratio=...
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/bench/lib.sh"
samples=$(bench_samples)
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

verified_ip= verified_ours=
time_iplink() {
	reset
	t0=$(ms); run_iplink; t1=$(ms)
	[ -n "$verified_ip" ] || { verify iplink; verified_ip=1; }
	bench_record "$tmp/iplink" $((t1 - t0))
}
time_ours() {
	reset
	t0=$(ms); run_ours; t1=$(ms)
	[ -n "$verified_ours" ] || { verify "partvm host apply"; verified_ours=1; }
	bench_record "$tmp/ours" $((t1 - t0))
}
for round in $(seq "$samples"); do
	if [ $((round % 2)) = 1 ]; then time_iplink; time_ours; else time_ours; time_iplink; fi
done
reset
bench_metric vf_provision_ms "$tmp/ours" "$tmp/iplink" 1 iplink
