#!/bin/bash
# An SR-IOV VF passed through doing I/O with MSI-X: the lab's SR-IOV nvme
# PF (serial partvm-lab) gets one VF from `partvm sriov create`, and
# nvme-cli gives that VF's controller its queue and interrupt resources and
# brings it online, as an administrator does with a real NVMe drive
# (Virtualization Management, NVMe 1.4 8.5). partvm passes the VF through;
# the guest's nvme driver binds it with MSI-X, writes 16 MiB of random data
# to the shared namespace with O_DIRECT and reads back the same sha256,
# with an interrupt at least for each of the 32 1 MiB requests (dd waits
# for each). Afterwards the VF has no driver again, and the PF's own driver
# on the lab host reads what the guest wrote.
#
# The lab host boots with every BAR below 4 GiB (tests/lab/run,
# LAB_LOW_BARS), the only place QEMU 10.0.2 lets a VF's BAR answer.
# lab: low-bars timeout=1500
. "$(dirname "$0")/vfio-lib.sh"

PF=$(nvme_by_serial partvm-lab) || exit 1
PFSYS=/sys/bus/pci/devices/$PF
command -v nvme >/dev/null || lab_fail "nvme-cli is missing (scripts/deps test installs it)"
cleanup() {
	"$PARTVM" vfio restore --all --force >/dev/null 2>&1 || true
	echo 0 >"$PFSYS/sriov_numvfs" || true
	echo 1 >"$PFSYS/sriov_drivers_autoprobe" || true
}
trap cleanup EXIT

ctrl() { echo "/dev/$(ls "$PFSYS/nvme")"; }
# virt_mgmt CNTLID RESOURCE ACTION COUNT: Virtualization Management, its
# answer shown; RESOURCE 0 is queues (VQ), 1 interrupts (VI); ACTION 1
# sets the primary's flexible resources, 8 assigns a secondary's, 9 puts
# a secondary online.
virt_mgmt() {
	local out
	out=$(nvme virt-mgmt "$(ctrl)" -c "$1" -r "$2" -a "$3" -n "$4" 2>&1) ||
		lab_fail "nvme virt-mgmt -c $1 -r $2 -a $3 -n $4: $out"
	echo "nvme virt-mgmt -c $1 -r $2 -a $3 -n $4: $out"
}

# The primary controller gives up its flexible resources; they are free
# for secondaries after a controller reset.
virt_mgmt 0 0 1 0
virt_mgmt 0 1 1 0
echo 1 >"$PFSYS/reset"
for _ in $(seq 100); do [ -e "$(ctrl)" ] && break; sleep 0.1; done
assert_eq "sriov create" "$PF: 1 VFs (was 0)" "$("$PARTVM" sriov create "$PF" 1 --no-autoprobe)"
VF=$(basename "$(readlink "$PFSYS/virtfn0")")
assert_eq "VF's driver after create (no autoprobe)" "" "$(driver_of "$VF")"
# Secondary controller 1 is VF 1: two queues (admin and one I/O), one
# interrupt vector, online.
virt_mgmt 1 0 8 2
virt_mgmt 1 1 8 1
virt_mgmt 1 0 9 0
nvme list-secondary "$(ctrl)" | sed 's/^/  /'

bar=$(awk 'NR == 1 { print $1 }' "/sys/bus/pci/devices/$VF/resource")
[ $((bar)) -lt $((1 << 32)) ] ||
	lab_fail "VF $VF's BAR 0 is at $bar, above 4 GiB, where QEMU 10.0.2 does not map it: run this test with LAB_LOW_BARS=1 (run-all does, from its header)"
echo "VF $VF: BAR 0 at $bar"

lab_guest_initrd "$TMPDIR/initrd" "$LAB_DIR/vfio-guest-nvme.sh" nvme
vfio_boot_clean "$TMPDIR/out" --initrd "$TMPDIR/initrd" -m 512M -c 2 --vfio "$VF" \
	--append 'console=ttyS0 quiet nvme_mb=16'
nvme_guest_checks "$TMPDIR/out" partvm-lab 1 32
assert_restored "$VF" ""

# The PF's driver reads the namespace the VF wrote.
assert_eq "sha256 the PF reads" "$NVME_WROTE" "$(nvme_host_sha "$PF" 16)"
echo "PASS: nvme VF passthrough"
