# Sourced by the VFIO passthrough lab tests (tests/lab/test-vfio-*.sh).
# Bash, inside the lab host. Gives lib.sh's variables and assertions, and:
#   driver_of BDF          the device's driver, "" for none
#   vfio_boot OUT ARGS...  partvm run Debian's kernel with ARGS, output
#                          (guest console and partvm's log) into OUT and
#                          shown indented; returns partvm's status
#   vfio_boot_clean OUT ARGS...
#                          vfio_boot, then partvm's exit status 0 (the guest
#                          powered off) and the guest script's 0 asserted
#   assert_restored BDF DRIVER
#                          the device is on DRIVER again and partvm holds
#                          no record of it
#   guest_line OUT PREFIX  the first line of OUT starting with PREFIX
#   nvme_by_serial SERIAL  the BDF of the lab's nvme with SERIAL (fails the
#                          test without one)
#   nvme_passthrough       nvme_by_serial partvm-passthrough
#   nvme_guest_checks OUT SERIAL MIN_VECTORS MIN_IRQS
#                          vfio-guest-nvme.sh's report in OUT (not its exit
#                          status, the caller's to check): the driver,
#                          the same sha256 read back, MSI-X, interrupts;
#                          sets NVME_WROTE to the sha256 written
#   nvme_host_sha BDF MIB  sha256 of the first MIB MiB of BDF's namespace,
#                          read by the host's nvme driver (O_DIRECT)
#   vfio_pool_vf_setup     EDU, NV and a pool VF (see below);
#   vfio_pool_vf_cleanup   gives them back
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TMPDIR=${TMPDIR:-/tmp}

driver_of() {
	if [ -e "/sys/bus/pci/devices/$1/driver" ]; then
		basename "$(readlink "/sys/bus/pci/devices/$1/driver")"
	fi
}

vfio_boot() {
	local out=$1 status=0 t0=$SECONDS
	shift
	# Every vfio boot in the lab takes well under 5 minutes.
	lab_run_bounded "${VFIO_BOOT_LIMIT:-420}" "$out" "$PARTVM" run --kernel "$LAB_BZIMAGE" "$@" || status=$?
	sed 's/^/  | /' "$out"
	echo "partvm ran $((SECONDS - t0)) s, exit status $status"
	return "$status"
}

vfio_boot_clean() {
	local status=0
	vfio_boot "$@" || status=$?
	assert_eq "partvm exit status (guest powered off)" 0 "$status"
	assert_eq "guest script status" "guest-init: script exited with status 0" \
		"$(guest_line "$1" "guest-init: script exited")"
}

assert_restored() {
	assert_eq "$1's driver after partvm" "$2" "$(driver_of "$1")"
	[ ! -e "/run/partvm/vfio/$1" ] || lab_fail "partvm still holds a record of $1: $(cat "/run/partvm/vfio/$1")"
	echo "ok: no bind record left for $1"
}

guest_line() {
	grep -m1 "^$2" "$1" | tr -d '\r' || true
}

# A PCI expansion ROM image of SIZE bytes (a multiple of 512): random
# contents behind the 0x55AA signature and a PCI data structure (PCI
# Firmware 3.0, 5.1) that names VENDOR:DEVICE and the image length, so
# that the guest's kernel reads exactly SIZE bytes through sysfs.
make_rom() {
	local file=$1 size=$2 vendor=$3 device=$4
	head -c "$size" /dev/urandom >"$file"
	printf '\x55\xaa' | dd of="$file" conv=notrunc status=none
	# Pointer to the PCI data structure at 0x18, the structure at 0x40.
	printf '\x40\x00' | dd of="$file" bs=1 seek=$((0x18)) conv=notrunc status=none
	printf 'PCIR' | dd of="$file" bs=1 seek=$((0x40)) conv=notrunc status=none
	printf "\\x${vendor:2:2}\\x${vendor:0:2}\\x${device:2:2}\\x${device:0:2}" |
		dd of="$file" bs=1 seek=$((0x44)) conv=notrunc status=none
	# Structure length 0x18 and revision 3 (offsets 0x0a, 0x0c): kernels
	# with the ROM bounds checks refuse a structure that runs past the ROM.
	printf '\x18\x00\x03' | dd of="$file" bs=1 seek=$((0x4a)) conv=notrunc status=none
	local units=$((size / 512))
	# Image length in 512-byte units (offset 0x10), code type 0, last image.
	printf "\\x$(printf %02x $((units & 255)))\\x$(printf %02x $((units >> 8)))" |
		dd of="$file" bs=1 seek=$((0x50)) conv=notrunc status=none
	printf '\x00\x00\x00\x80' | dd of="$file" bs=1 seek=$((0x52)) conv=notrunc status=none
}

nvme_by_serial() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1b36:0x0010 ] || continue
		grep -q "^$1 *$" "$d"/nvme/nvme*/serial 2>/dev/null && basename "$d" && return 0
	done
	lab_fail "no nvme controller with serial $1 (tests/lab/run adds it)"
}

nvme_passthrough() { nvme_by_serial partvm-passthrough; }

# vfio_pool_vf_setup: edu (EDU), the passthrough NVMe (NV) and one VF of
# the igb PF for an [sriov] pool (PF, PFSYS, PFDEV up, VF; created without
# autoprobe); vfio_pool_vf_cleanup, for the EXIT trap, gives every device
# back (vfio restore --all --force) and removes the VF.
vfio_pool_vf_setup() {
	EDU=$(lab_edu)
	NV=$(nvme_passthrough)
	PF=$(lab_pci_find 8086:10c9)
	[ -n "$EDU" ] && [ -n "$NV" ] && [ -n "$PF" ] || lab_fail "edu, the passthrough NVMe or the igb PF is missing"
	PFSYS=/sys/bus/pci/devices/$PF
	PFDEV=$(ls "$PFSYS/net")
	ip link set "$PFDEV" up
	assert_eq "sriov create" "$PFDEV: 1 VFs (was 0)" "$("$PARTVM" sriov create "$PFDEV" 1 --no-autoprobe)"
	VF=$(basename "$(readlink "$PFSYS/virtfn0")")
}

vfio_pool_vf_cleanup() {
	"$PARTVM" vfio restore --all --force >/dev/null 2>&1 || true
	# No PF interface found: setup stopped before it made a VF.
	[ -n "${PFDEV:-}" ] || return 0
	echo 0 >"$PFSYS/sriov_numvfs" || true
	echo 1 >"$PFSYS/sriov_drivers_autoprobe" || true
	ip link set "$PFDEV" down || true
}

nvme_guest_checks() {
	local out=$1 serial=$2 vectors=$3 irqs=$4 read taken
	assert_match "guest's nvme driver" "^guest: nvme at 0000:00:0[0-9a-f].0, driver nvme, serial $serial" \
		"$(guest_line "$out" "guest: nvme at")"
	NVME_WROTE=$(guest_line "$out" "guest: nvme wrote" | sed -n 's/.*sha256 //p')
	read=$(guest_line "$out" "guest: nvme read" | sed -n 's/.*sha256 //p')
	assert_match "sha256 written" '^[0-9a-f]{64}$' "$NVME_WROTE"
	assert_eq "sha256 read back with O_DIRECT" "$NVME_WROTE" "$read"
	assert_match "interrupt mode" "^guest: nvme interrupt mode msix with ([$vectors-9]|[1-9][0-9]+) vectors" \
		"$(guest_line "$out" "guest: nvme interrupt mode")"
	taken=$(guest_line "$out" "guest: nvme interrupts taken" | sed -n 's/.*taken //p')
	assert_ge "MSI-X interrupts the guest's nvme queues took" "$irqs" "$taken"
}

nvme_host_sha() {
	local blk= ns
	for _ in $(seq 100); do
		ns=$(cd /sys/bus/pci/devices/"$1"/nvme/nvme*/ 2>/dev/null && ls -d nvme*n1 2>/dev/null | head -n1)
		blk=/dev/$(echo "$ns" | sed 's/c[0-9]*n/n/')
		[ -n "$ns" ] && [ -b "$blk" ] && break
		sleep 0.3
	done
	[ -b "$blk" ] || lab_fail "no namespace block device on $1 (saw '$ns')"
	dd if="$blk" bs=1M count="$2" iflag=direct status=none | sha256sum | cut -d' ' -f1
}
