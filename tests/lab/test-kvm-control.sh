#!/bin/bash
# A partition as a service on the lab's real /dev/kvm: tests/kvm/control
# (READY=1, list, ctl status/pause/resume/stop, bad requests, SIGTERM,
# kill -9, CPU pinning), then the memory resources that change the host:
# guest RAM on reserved 2 MiB huge pages bound to NUMA node 0, locked RAM,
# and a reboot over the control socket with locked RAM.
# lab: timeout=900
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Its pinning cases need two host CPUs; lab-init keeps the job off CPU 0
# (tests/lab/README.md, "Known behaviour"), so this one test gets them all
# back. Its guests are the tiny test guest, a few seconds each.
taskset -c "0-$(($(nproc --all) - 1))" "$LAB_CHECKOUT/tests/kvm/control" "$PARTVM"

# The memory resources with the plain build: ASan ignores mlock() (its
# interceptor returns 0 without locking), so locked RAM cannot be seen
# under the sanitized one that tests/lab/batch hands us as $PARTVM.
vmm=${PARTVM_PLAIN:-$PARTVM}

export PARTVM_RUNTIME_DIR=$TMPDIR/run
hp=/sys/kernel/mm/hugepages/hugepages-2048kB
old=$(cat "$hp/nr_hugepages")
pid=
cleanup() {
	lab_kill -9 "$pid"
	[ -z "$pid" ] || wait "$pid" 2>/dev/null || true
	echo "$old" >"$hp/nr_hugepages"
}
trap cleanup EXIT

wait_line() {
	local i=0
	until grep -qE -- "$2" "$1"; do
		[ $i -lt 300 ] || lab_fail "no line /$2/ in $1 within 30 s: $(tail -n5 "$1")"
		sleep 0.1
		i=$((i + 1))
	done
}

# 128 MiB of guest RAM on 64 reserved huge pages, bound to node 0, locked.
echo 64 >"$hp/nr_hugepages"
assert_eq "free 2 MiB huge pages" 64 "$(cat "$hp/free_hugepages")"
"$vmm" run --append idle --name huge --memory 128M --memory-backing hugetlb --mlock --numa-node 0 \
	</dev/null >"$TMPDIR/huge.out" 2>"$TMPDIR/huge.err" &
pid=$!
wait_line "$TMPDIR/huge.out" '^tick [0-9]+$'
st=$("$vmm" ctl huge status --json)
assert_eq "status memory" "134217728 hugetlb true 0" \
	"$(jq -r '.memory | "\(.size) \(.backing) \(.mlock) \(.["numa-node"])"' <<<"$st")"
# mlock faulted every page in: all 64 are in use.
assert_eq "free huge pages while it runs" 0 "$(cat "$hp/free_hugepages")"
map=$(grep -E 'bind:0 .*huge' "/proc/$pid/numa_maps" || true)
assert_match "guest RAM mapping in numa_maps" 'bind:0 .*huge.*N0=64' "$map"
"$vmm" ctl huge stop
wait "$pid"
pid=
assert_eq "free huge pages after stop" 64 "$(cat "$hp/free_hugepages")"

# Locked anonymous RAM; a reboot clears it in place and the guest boots again.
"$vmm" run --append idle --name lock --memory 64M --mlock </dev/null >"$TMPDIR/lock.out" 2>"$TMPDIR/lock.err" &
pid=$!
wait_line "$TMPDIR/lock.out" '^tick [0-9]+$'
locked=$(awk '/^VmLck/ { print $2 }' "/proc/$pid/status")
assert_ge "VmLck (kB) with 64 MiB of guest RAM locked" 65536 "$locked"
assert_eq "ctl reboot" "lock: rebooting" "$("$vmm" ctl lock reboot)"
i=0
until awk '/^partvm test guest/ { n++ } n == 2 && /^tick [0-9]+$/ { found = 1 } END { exit !found }' "$TMPDIR/lock.out"; do
	[ $i -lt 300 ] || lab_fail "the guest did not boot again after ctl reboot: $(tail -n5 "$TMPDIR/lock.out")"
	sleep 0.1
	i=$((i + 1))
done
assert_eq "state after the reboot" "running 2" "$("$vmm" ctl lock status --json | jq -r '"\(.state) \(.boots)"')"
locked=$(awk '/^VmLck/ { print $2 }' "/proc/$pid/status")
assert_ge "VmLck (kB) after the reboot" 65536 "$locked"
"$vmm" ctl lock stop
wait "$pid"
pid=
echo "PASS: control socket, sd_notify, signals, pinning and memory resources on real KVM"
