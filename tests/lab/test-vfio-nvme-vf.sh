#!/bin/bash
# An SR-IOV VF passed through: the lab's nvme PF (serial partvm-lab) gets
# one VF (partvm sriov create), its secondary controller is given queues
# and an interrupt and set online (nvme virt-mgmt on the PF, as NVMe's
# Virtualization Enhancements have it), and partvm passes the VF to a
# Debian guest whose nvme driver binds it with MSI-X: 16 MiB written with
# O_DIRECT read back the same, interrupts counted. The lab's namespace is
# private to one controller at a time (QEMU's nvme-ns shared=off): it moves
# from the PF to the VF's controller for the guest and back after (nvme
# detach-ns/attach-ns), and the host reads what the guest wrote through the
# PF.
# lab: timeout=1200
. "$(dirname "$0")/vfio-lib.sh"

NV=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1b36:0x0010 ] || continue
	[ -e "$d/sriov_totalvfs" ] && NV=$(basename "$d")
done
[ -n "$NV" ] || lab_fail "no nvme controller with SR-IOV (tests/lab/run adds one at 04.0)"
NVSYS=/sys/bus/pci/devices/$NV
ctl=/dev/$(ls "$NVSYS/nvme" | head -n1)
[ -c "$ctl" ] || lab_fail "no controller device for the PF $NV ($ctl)"
pcid=$(nvme id-ctrl "$ctl" -o json | jq .cntlid)
echo "PF $NV: $ctl, controller id $pcid"

# secondary_field VFN FIELD: FIELD (SCID, SCS, NVQ, NVI) of the secondary
# controller of VF number VFN, from nvme list-secondary, whose entries are
# lines like "SCID : Secondary Controller Identifier : 0x0001" (and
# "SCS : ... : 0x0001 (Online)"), SCID first and NVI last.
secondary_field() {
	local key value
	local -A e
	while IFS= read -r line; do
		key=$(awk '{ print $1 }' <<<"$line")
		value=${line##*:}
		value=$(awk '{ print $1 }' <<<"$value")
		case $key in SCID|SCS|VFN|NVQ|NVI) e[$key]=$((value)) ;; *) continue ;; esac
		if [ "$key" = NVI ] && [ "${e[VFN]:-}" = "$1" ]; then
			echo "${e[$2]}"
			return 0
		fi
	done < <(nvme list-secondary "$ctl")
	echo "-1"
}

# ns_move FROM TO: namespace 1 detached from controller FROM and attached
# to TO. Only ever detached where it is attached: QEMU 10.0's nvme asserts
# (and the lab dies) on detaching a namespace that is not (QEMU #2976).
ns_on=$pcid
ns_move() {
	nvme detach-ns "$ctl" -n 1 -c "$1"
	ns_on=
	nvme attach-ns "$ctl" -n 1 -c "$2"
	ns_on=$2
}

cleanup() {
	"$PARTVM" vfio restore --all --force >/dev/null 2>&1 || true
	if [ -n "${scid:-}" ] && [ "$ns_on" = "$scid" ]; then
		ns_move "$scid" "$pcid" >/dev/null 2>&1 || true
	fi
	if [ -n "${scid:-}" ]; then
		nvme virt-mgmt "$ctl" -c "$scid" -a 7 >/dev/null 2>&1 || true
	fi
	echo 0 >"$NVSYS/sriov_numvfs" || true
	echo 1 >"$NVSYS/sriov_drivers_autoprobe" || true
	# The flexible resources back to the primary controller (the lab
	# gives 4 queues and 2 interrupts), taking effect at its reset.
	nvme virt-mgmt "$ctl" -c "$pcid" -r 0 -a 1 -n 4 >/dev/null 2>&1 || true
	nvme virt-mgmt "$ctl" -c "$pcid" -r 1 -a 1 -n 2 >/dev/null 2>&1 || true
	echo 1 >"$NVSYS/reset" || true
}
trap cleanup EXIT

# The primary gives up its flexible resources, so that the secondary
# controllers can have them; QEMU applies that at a function reset (FLR),
# not at a controller reset.
nvme virt-mgmt "$ctl" -c "$pcid" -r 0 -a 1 -n 0
nvme virt-mgmt "$ctl" -c "$pcid" -r 1 -a 1 -n 0
echo 1 >"$NVSYS/reset"
sleep 1
"$PARTVM" sriov create "$NV" 1 --no-autoprobe
VF=$(basename "$(readlink "$NVSYS/virtfn0")")
nvme list-secondary "$ctl"
scid=$(secondary_field 1 SCID)
assert_ge "VF 1's secondary controller id" 1 "$scid"
nvme virt-mgmt "$ctl" -c "$scid" -r 0 -a 8 -n 2
nvme virt-mgmt "$ctl" -c "$scid" -r 1 -a 8 -n 1
nvme virt-mgmt "$ctl" -c "$scid" -a 9
assert_eq "VF 1's controller online (SCS)" 1 "$(secondary_field 1 SCS)"
assert_eq "VF 1's controller: queues, interrupts (NVQ NVI)" "2 1" \
	"$(secondary_field 1 NVQ) $(secondary_field 1 NVI)"
ns_move "$pcid" "$scid"

lab_guest_initrd "$TMPDIR/initrd" "$LAB_DIR/vfio-guest-nvme.sh" nvme
status=0
vfio_boot "$TMPDIR/out" --initrd "$TMPDIR/initrd" -m 512M -c 2 --vfio "$VF" \
	--append 'console=ttyS0 quiet nvme_mb=16' || status=$?
assert_eq "partvm exit status (guest powered off)" 0 "$status"
assert_eq "guest script status" "guest-init: script exited with status 0" \
	"$(guest_line "$TMPDIR/out" "guest-init: script exited")"
nvme_guest_checks "$TMPDIR/out" partvm-lab 1 16
assert_restored "$VF" ""

# The namespace back on the PF: the host reads the guest's data through
# its own controller.
ns_move "$scid" "$pcid"
nvme ns-rescan "$ctl"
assert_eq "sha256 the host reads through the PF" "$NVME_WROTE" "$(nvme_host_sha "$NV" 16)"
echo "PASS: an nvme VF passed through, MSI-X and DMA end to end"
