#!/bin/bash
# The lab is what it claims: a Debian kernel with a working /dev/kvm (nested
# SVM), an Intel IOMMU with groups, an igb PF able to create 7 VFs, the edu
# device, two nvme controllers bound to their driver on MSI-X, vfio-pci, and a
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

dev 1234:11e8 "edu device"
assert_eq "edu address" 0000:00:03.0 "$bdf"

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
