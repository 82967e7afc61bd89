#!/bin/bash
# Cleanup when partvm does not get to clean up: a partition with edu, the
# passthrough NVMe and a pool VF is killed with SIGKILL while its guest
# runs; the devices stay on vfio-pci with records naming the partition,
# and `partvm vfio restore --all` gives every one back (the VF neutral).
# Then the same partition is stopped with SIGTERM: partvm gives the
# devices back itself and exits 143.
# lab: timeout=1800
. "$(dirname "$0")/vfio-lib.sh"

pid=
cleanup() {
	lab_kill -9 "$pid"
	vfio_pool_vf_cleanup
}
trap cleanup EXIT
vfio_pool_vf_setup

cat >"$TMPDIR/killme.conf" <<EOC
[partition]
name = killme
memory = 256M

[vfio]
device = $EDU

[vfio]
device = $NV

[sriov "net"]
pf = $PFDEV
mac = 02:00:00:00:dd:01
EOC
lab_guest_initrd "$TMPDIR/initrd" "$LAB_DIR/vfio-guest-hold.sh"

# start: partvm in the background until its guest says it is ready
start() {
	"$PARTVM" run "$TMPDIR/killme.conf" --kernel "$LAB_BZIMAGE" --initrd "$TMPDIR/initrd" \
		--append "console=ttyS0 quiet" \
		</dev/null >"$TMPDIR/out" 2>&1 &
	pid=$!
	for _ in $(seq 900); do
		grep -q "guest: ready" "$TMPDIR/out" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	sed 's/^/  | /' "$TMPDIR/out"
	grep -q "guest: ready" "$TMPDIR/out" || lab_fail "the guest did not come up"
}

start
for d in "$EDU" "$NV" "$VF"; do
	assert_eq "$d while the partition runs" vfio-pci "$(driver_of "$d")"
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=
for d in "$EDU" "$NV" "$VF"; do
	assert_eq "$d after kill -9" vfio-pci "$(driver_of "$d")"
	assert_eq "owner in $d's record" "owner=killme" "$(grep '^owner=' "/run/partvm/vfio/$d")"
done
assert_eq "pool record of $VF" "partition=killme" "$(grep '^partition=' "/run/partvm/sriov/$VF")"
assert_contains "the PF still has the partition's MAC for VF 0" "02:00:00:00:dd:01" \
	"$(ip -j link show dev "$PFDEV" | jq -r '.[0].vfinfo_list[0].address')"

out=$("$PARTVM" vfio restore --all 2>&1)
echo "$out"
assert_contains "restore" "1 SR-IOV pool VF(s) neutralised and returned" "$out"
assert_contains "restore" "2 device(s) given back" "$out"
assert_restored "$EDU" ""
assert_restored "$NV" nvme
assert_restored "$VF" ""
[ ! -e "/run/partvm/sriov/$VF" ] || lab_fail "the pool still records $VF"
assert_eq "VF 0's MAC after restore" 00:00:00:00:00:00 \
	"$(ip -j link show dev "$PFDEV" | jq -r '.[0].vfinfo_list[0].address')"

# The same by partition name, as a unit's ExecStopPost= would do it.
start
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=
assert_eq "edu after the second kill -9" vfio-pci "$(driver_of "$EDU")"
out=$("$PARTVM" vfio restore --partition someone-else 2>&1)
assert_contains "restore of another partition" "0 device(s) given back" "$out"
assert_eq "edu after restoring another partition" vfio-pci "$(driver_of "$EDU")"
out=$("$PARTVM" vfio restore --partition killme 2>&1)
echo "$out"
assert_contains "restore --partition killme" "2 device(s) given back for partition killme" "$out"
assert_restored "$EDU" ""
assert_restored "$NV" nvme
assert_restored "$VF" ""

# SIGTERM: partvm stops the guest and gives everything back itself.
start
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
sed 's/^/  | /' "$TMPDIR/out" | tail -n 4
assert_eq "exit status after SIGTERM" 143 "$status"
assert_restored "$EDU" ""
assert_restored "$NV" nvme
assert_restored "$VF" ""
[ ! -e "/run/partvm/sriov/$VF" ] || lab_fail "the pool still records $VF"
echo "PASS: cleanup after kill -9 and SIGTERM"
