#!/bin/bash
# The lab is what it claims: a Debian kernel with a working /dev/kvm (nested
# SVM), an Intel IOMMU with groups, an igb PF able to create 7 VFs, the edu
# device, an nvme controller bound to its driver, vfio-pci, and a chroot
# with the mounts partvm's tests rely on. The smoke test of the harness.
# lab: timeout=300
set -euo pipefail
. "$(dirname "$0")/lib.sh"

echo "--- lspci -nn"
lspci -nn
echo "--- IOMMU groups"
for g in /sys/kernel/iommu_groups/*; do
	echo "group $(basename "$g"): $(ls "$g/devices" | tr '\n' ' ')"
done
echo "---"

assert_eq "kernel release" "$LAB_KVER" "$(uname -r)"

# /dev/kvm runs guest code.
assert_eq "kvm_amd nested" 1 "$(cat /sys/module/kvm_amd/parameters/nested)"
hello=$("$(lab_helper kvm-hello)")
assert_eq "kvm-hello output" $'api_version 12\nio_out port=0x10 byte=K\nhlt' "$hello"

# The IOMMU: DMAR unit, one group per device.
assert_exists "DMAR unit" /sys/class/iommu/dmar0
assert_ge "IOMMU groups" 4 "$(ls /sys/kernel/iommu_groups | wc -l)"

# dev VENDOR:DEVICE WHAT: the one matching PCI function, checked to be alone
# and in an IOMMU group.
dev() {
	local found
	found=$(lab_pci_find "$1")
	assert_eq "number of $2 ($1) functions" 1 "$(echo "$found" | grep -c .)"
	assert_exists "$2 IOMMU group" "/sys/bus/pci/devices/$found/iommu_group"
	bdf=$found
}

dev 8086:10c9 "igb PF"
pf=/sys/bus/pci/devices/$bdf
assert_eq "igb PF driver" igb "$(basename "$(readlink "$pf/driver")")"
assert_eq "igb PF sriov_totalvfs" 7 "$(cat "$pf/sriov_totalvfs")"
assert_eq "igb PF sriov_numvfs" 0 "$(cat "$pf/sriov_numvfs")"

dev 1234:11e8 "edu device"

dev 1b36:0010 "nvme controller"
assert_eq "nvme driver" nvme "$(basename "$(readlink "/sys/bus/pci/devices/$bdf/driver")")"
assert_match "nvme interrupt modes" '^msix( msix)*$' "$(cat "/sys/bus/pci/devices/$bdf"/msi_irqs/* | tr '\n' ' ' | sed 's/ $//')"

# VFIO, container API (Debian's kernels have no iommufd).
assert_exists "vfio-pci driver" /sys/bus/pci/drivers/vfio-pci
assert_exists "VFIO container device" /dev/vfio/vfio
assert_exists "pci-pf-stub driver" /sys/bus/pci/drivers/pci-pf-stub

# The chroot: the shared root is read-only, scratch space is not, and the
# special file systems tests use are there.
if touch /usr/.lab-write-test 2>/dev/null; then
	rm -f /usr/.lab-write-test
	lab_fail "shared root: expected read-only, a write succeeded"
fi
echo "ok: shared root is read-only"
scratch=$(mktemp -d)
echo data >"$scratch/f"
assert_eq "scratch /tmp" data "$(cat "$scratch/f")"
rm -rf "$scratch"
assert_eq "/tmp file system" tmpfs "$(stat -f -c %T /tmp)"
assert_eq "securityfs" securityfs "$(stat -f -c %T /sys/kernel/security)"
assert_eq "hugetlbfs" hugetlbfs "$(stat -f -c %T /dev/hugepages)"
assert_eq "devpts" devpts "$(stat -f -c %T /dev/pts)"
echo 2 >/proc/sys/vm/nr_hugepages
assert_eq "2 MiB huge pages reserved" 2 "$(cat /proc/sys/vm/nr_hugepages)"
echo 0 >/proc/sys/vm/nr_hugepages
assert_exists "checkout at its own path" "$LAB_CHECKOUT/tests/lab/lib.sh"
assert_exists "lab kernel modules" "$LAB_MODDIR/modules.dep"
assert_run "modprobe from the lab kernel's tree (tun)" modprobe tun
