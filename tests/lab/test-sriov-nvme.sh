#!/bin/bash
# Lab: QEMU's nvme controller as an SR-IOV PF without a network device:
# `sriov list` shows it by BDF with its driver and counts, and its VFs with
# their BDFs and drivers (none with --no-autoprobe, nvme with autoprobe);
# VF attributes are refused by name. The lab must start the controller with
# sriov_max_vfs (see tests/lab/run).
. "$(dirname "$0")/sriov-lib.sh"

NV=$(find_pci 1b36 0010 | head -n1)
[ -n "$NV" ] || fail "no QEMU nvme controller (1b36:0010) in the lab"
NVSYS=/sys/bus/pci/devices/$NV
[ -e "$NVSYS/sriov_totalvfs" ] || fail "nvme $NV has no SR-IOV: the lab's QEMU needs -device nvme-subsys and nvme ...,subsys=...,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,max_ioqpairs=6,msix_qsize=8 with an nvme-ns"
total=$(cat "$NVSYS/sriov_totalvfs")
trap 'echo 0 > "$NVSYS/sriov_numvfs"; echo 1 > "$NVSYS/sriov_drivers_autoprobe"; sriov_cleanup' EXIT

pf_json() { "$P" sriov list --json | jq -c --arg pf "$NV" '.[] | select(.bdf == $pf)'; }

j=$(pf_json)
[ "$(jq -c '{ifname, driver, totalvfs, numvfs, vfs}' <<<"$j")" = \
  "{\"ifname\":null,\"driver\":\"nvme\",\"totalvfs\":$total,\"numvfs\":0,\"vfs\":[]}" ] ||
	fail "nvme PF before create: $j"
ok "nvme PF $NV listed without VFs: $j"

out=$("$P" sriov create "$NV" 2 --no-autoprobe)
[ "$out" = "$NV: 2 VFs (was 0)" ] || fail "create printed '$out'"
[ "$(cat "$NVSYS/sriov_drivers_autoprobe")" = 0 ] || fail "autoprobe not turned off"
a=$(basename "$(readlink "$NVSYS/virtfn0")") b=$(basename "$(readlink "$NVSYS/virtfn1")")
j=$(pf_json)
want="{\"ifname\":null,\"driver\":\"nvme\",\"totalvfs\":$total,\"numvfs\":2,\"autoprobe\":false,\"vfs\":[{\"vf\":0,\"bdf\":\"$a\",\"driver\":null,\"ifname\":null,\"partition\":null},{\"vf\":1,\"bdf\":\"$b\",\"driver\":null,\"ifname\":null,\"partition\":null}]}"
[ "$(jq -c '{ifname, driver, totalvfs, numvfs, autoprobe, vfs}' <<<"$j")" = "$want" ] ||
	fail "nvme PF with VFs: $j"
ok "nvme VFs listed by BDF, no driver, no attributes: $j"
"$P" sriov list | grep -A3 "^$NV"

status=0
err=$("$P" sriov set "$NV" 0 mac=02:00:00:00:00:01 2>&1) || status=$?
[ "$status" = 2 ] && [ "$err" = "partvm: sriov set: $NV is no network device (driver nvme): its VFs have no attributes to set" ] ||
	fail "set on nvme VF: $status $err"
ok "$err"

# With autoprobe the VFs go to the nvme driver, whose probe runs on in the
# background (QEMU's VF controllers stay offline until configured, so it
# gives up and unbinds). Compare once sysfs has been still for a second.
out=$("$P" sriov create "$NV" 2 --autoprobe)
[ "$out" = "$NV: 2 VFs (was 2)" ] || fail "recreate printed '$out'"
sysfs_vfs() {
	for i in 0 1; do
		v=$(basename "$(readlink "$NVSYS/virtfn$i")")
		jq -cn --arg b "$v" --arg d "$(driver_of "$v")" '{bdf: $b, driver: (if $d == "" then null else $d end)}'
	done | jq -sc .
}
prev= theirs=$(sysfs_vfs)
for _ in $(seq 60); do
	[ "$theirs" = "$prev" ] && break
	sleep 1
	prev=$theirs theirs=$(sysfs_vfs)
done
ours=$(pf_json | jq -c '[.vfs[] | {bdf, driver}]')
[ "$ours" = "$theirs" ] && [ "$(sysfs_vfs)" = "$theirs" ] || fail "list says $ours, sysfs says $theirs"
ok "after autoprobe, list matches sysfs: $ours"
out=$("$P" sriov destroy "$NV")
[ "$out" = "$NV: 0 VFs (was 2)" ] || fail "destroy printed '$out'"
echo "PASS: nvme PF without netdev"
