#!/bin/bash
# The lab is what it claims: a Debian kernel with a working /dev/kvm (nested
# SVM), an Intel IOMMU with groups, an igb PF able to create 7 VFs, the edu
# device and a multi-function pair of edu functions in one IOMMU group, two
# nvme controllers bound to their driver on MSI-X, vfio-pci, and a
# chroot with the mounts partvm's tests rely on. The smoke test of the
# harness.
# lab: timeout=300
set -euo pipefail
. "$(dirname "$0")/lib.sh"

echo "--- lspci -nn"
lspci -nn
echo "--- IOMMU groups"
for g in /sys/kernel/iommu_groups/*; do
	devs=("$g"/devices/*)
	echo "group ${g##*/}: ${devs[*]##*/}"
done
echo "---"

assert_eq "kernel release" "$LAB_KVER" "$(uname -r)"

# /dev/kvm runs guest code.
assert_eq "kvm_amd nested" 1 "$(lab_read /sys/module/kvm_amd/parameters/nested)"
# The older MMU (run's -append; README.md, "Known behaviour").
assert_eq "kvm tdp_mmu" N "$(lab_read /sys/module/kvm/parameters/tdp_mmu)"
hello=$("$(lab_helper kvm-hello)")
assert_eq "kvm-hello output" "api_version 12 io_out port=0x10 byte=K hlt" "$(echo $hello)"

# The IOMMU: a DMAR unit, devices in groups.
assert_exists "DMAR unit" /sys/class/iommu/dmar0
groups=(/sys/kernel/iommu_groups/*)
assert_ge "IOMMU groups" 4 "${#groups[@]}"

# dev VENDOR:DEVICE WHAT: the one matching PCI function, in an IOMMU group;
# sets bdf and sys.
dev() {
	local found
	found=$(lab_pci_find "$1")
	assert_match "$2 ($1) address" '^0000:00:[0-9a-f]{2}\.0$' "$found"
	bdf=$found sys=/sys/bus/pci/devices/$found
	assert_exists "$2 IOMMU group" "$sys/iommu_group"
}
driver() {
	local link
	link=$(readlink "$1/driver") || link=none
	echo "${link##*/}"
}

dev 8086:10c9 "igb PF"
assert_eq "igb PF address" 0000:00:02.0 "$bdf"
assert_eq "igb PF driver" igb "$(driver "$sys")"
assert_eq "igb PF sriov_totalvfs" 7 "$(lab_read "$sys/sriov_totalvfs")"
assert_eq "igb PF sriov_numvfs" 0 "$(lab_read "$sys/sriov_numvfs")"

# Three edu functions: the single-function edu at 03.0, and a
# multi-function device of two at 06.0 and 06.1 (test-vfio-multifunction.sh),
# both in one IOMMU group since edu has no ACS.
assert_eq "edu functions (1234:11e8)" "0000:00:03.0 0000:00:06.0 0000:00:06.1" \
	"$(lab_pci_find 1234:11e8 | xargs)"
assert_eq "edu address (lab_edu)" 0000:00:03.0 "$(lab_edu)"
assert_exists "edu IOMMU group" /sys/bus/pci/devices/0000:00:03.0/iommu_group
assert_eq "edu 06.0 is multi-function (Header Type bit 7)" 80 \
	"$(lab_file_hex /sys/bus/pci/devices/0000:00:06.0/config 14 1)"
assert_eq "edu 06.1 shares 06.0's IOMMU group" \
	"$(readlink /sys/bus/pci/devices/0000:00:06.0/iommu_group)" \
	"$(readlink /sys/bus/pci/devices/0000:00:06.1/iommu_group)"

# Two nvme controllers: 04.0 (an SR-IOV PF) and 05.0, for passthrough.
assert_eq "nvme controllers (1b36:0010)" "0000:00:04.0 0000:00:05.0" "$(lab_pci_find 1b36:0010 | sort | xargs)"
for bdf in 0000:00:04.0 0000:00:05.0; do
	sys=/sys/bus/pci/devices/$bdf
	serial=partvm-lab
	[ $bdf = 0000:00:05.0 ] && serial=partvm-passthrough
	assert_exists "nvme $bdf IOMMU group" "$sys/iommu_group"
	assert_eq "nvme $bdf driver" nvme "$(driver "$sys")"
	assert_eq "nvme $bdf serial" $serial "$(cat "$sys"/nvme/nvme*/serial | xargs)"
	modes=()
	for irq in "$sys"/msi_irqs/*; do modes+=("$(lab_read "$irq")"); done
	assert_match "nvme $bdf interrupt modes" '^msix( msix)*$' "${modes[*]}"
done

# VFIO, container API (Debian's kernels have no iommufd).
assert_exists "vfio-pci driver" /sys/bus/pci/drivers/vfio-pci
assert_exists "VFIO container device" /dev/vfio/vfio
assert_exists "pci-pf-stub driver" /sys/bus/pci/drivers/pci-pf-stub

# The chroot: the shared root is read-only, scratch space is not, and the
# special file systems tests use are there.
if : 2>/dev/null >/usr/.lab-write-test; then
	rm -f /usr/.lab-write-test
	lab_fail "shared root: expected read-only, a write succeeded"
fi
echo "ok: shared root is read-only"
echo data >"$TMPDIR/f"
assert_eq "scratch TMPDIR" data "$(lab_read "$TMPDIR/f")"
assert_eq "file systems of /tmp /dev/pts /dev/hugepages /sys/kernel/security" \
	"tmpfs devpts hugetlbfs securityfs" \
	"$(stat -f -c %T /tmp /dev/pts /dev/hugepages /sys/kernel/security | tr '\n' ' ' | sed 's/ $//')"
echo 2 >/proc/sys/vm/nr_hugepages
assert_eq "2 MiB huge pages reserved" 2 "$(lab_read /proc/sys/vm/nr_hugepages)"
echo 0 >/proc/sys/vm/nr_hugepages
assert_eq "process substitution (/dev/fd)" fd "$(lab_read <(echo fd))"
assert_exists "checkout at its own path" "$LAB_CHECKOUT/tests/lab/lib.sh"
assert_exists "lab kernel modules" "$LAB_MODDIR/modules.dep"
assert_run "modprobe from the lab kernel's tree (tun)" modprobe tun
