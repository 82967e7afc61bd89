#!/bin/bash
# vfio_guest_start_ms: time from exec to the guest's first init line, with
# one igb VF passed through to a 1G guest, for partvm and for
# `qemu-system-x86_64 -accel kvm -cpu host -device vfio-pci,host=VF` booting
# the kernel directly through qboot, the same kernel and initramfs, both
# with anonymous memory, in the same lab run: BENCH_SAMPLES (10) each,
# alternating, min/median/max (tests/bench/lib.sh). Also the DMA map of the
# guest's RAM, which partvm logs, with anonymous and with hugetlb backing
# (the same number of samples).
# Runs inside the lab (tests/lab/run tests/bench/vfio.sh). Prints:
#   METRIC vfio_guest_start_ms ours=... qemu=... ratio=...
#   METRIC vfio_dma_map_ms anonymous=... hugetlb=... ratio=...
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/lab/lib.sh"
. "$here/tests/bench/lib.sh"
n=$(bench_samples)
tmp=$(mktemp -d)
pf=$(lab_pci_find 8086:10c9)
pfsys=/sys/bus/pci/devices/$pf
pfdev=$(ls "$pfsys/net")
hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
hp_before=$(cat "$hp")
cleanup() {
	"$PARTVM" vfio restore --all --force >/dev/null 2>&1 || true
	echo 0 >"$pfsys/sriov_numvfs" || true
	echo 1 >"$pfsys/sriov_drivers_autoprobe" || true
	echo "$hp_before" >"$hp" || true
	rm -rf "$tmp"
}
trap cleanup EXIT

ip link set "$pfdev" up
"$PARTVM" sriov create "$pfdev" 1 --no-autoprobe >/dev/null
vf=$(basename "$(readlink "$pfsys/virtfn0")")
# Both VMMs get the VF already on vfio-pci: the bind is not what is timed.
"$PARTVM" vfio bind "$vf" >/dev/null

cat >"$tmp/init.sh" <<'EOF'
#!/bin/sh
echo "bench: first init line"
EOF
chmod +x "$tmp/init.sh"
lab_guest_initrd "$tmp/initrd" "$tmp/init.sh"

# start_ms LOG CMD...: milliseconds from exec of CMD to the guest's first
# init line on its stdout; CMD's output goes to LOG.
start_ms() {
	local log=$1 t0 t1= line
	shift
	# A FIFO, not process substitution: the lab's /dev has no /dev/fd.
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	t0=$EPOCHREALTIME
	"$@" </dev/null >"$tmp/fifo" 2>&1 &
	while IFS= read -r line; do
		if [ -z "$t1" ] && [[ $line == *"bench: first init line"* ]]; then
			t1=$EPOCHREALTIME
		fi
		printf '%s\n' "$line" >>"$log"
	done <"$tmp/fifo"
	wait $! || true
	[ -n "$t1" ] || { cat "$log" >&2; bench_fail "vfio: no init line in $log"; }
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }'
}

ours() {
	start_ms "$1" "$PARTVM" run --kernel "$LAB_BZIMAGE" --initrd "$tmp/initrd" -m 1G \
		--append 'console=ttyS0 quiet' --vfio "$vf,managed=no" "${@:2}"
}

qemu() {
	start_ms "$1" qemu-system-x86_64 -accel kvm -cpu host -M pc -bios /usr/share/qemu/qboot.rom \
		-m 1G -nodefaults -no-user-config -display none -no-reboot -serial stdio \
		-kernel "$LAB_BZIMAGE" -initrd "$tmp/initrd" \
		-append 'console=ttyS0 quiet' -device "vfio-pci,host=$vf"
}

# The DMA map of 1 GiB of guest RAM, as partvm logs it.
map_ms() {
	local v
	v=$(sed -n 's/.*mapped for DMA in \([0-9.]*\) ms.*/\1/p' "$1" | head -n1)
	[ -n "$v" ] || bench_fail "vfio: no DMA map time in partvm's log $1"
	echo "$v"
}
echo 512 >"$hp"
[ "$(cat "$hp")" -ge 512 ] || bench_fail "vfio: cannot reserve 512 huge pages"
printf '[partition]\nmemory-backing = hugetlb\n' >"$tmp/huge.conf"
for i in $(seq "$n"); do
	bench_record "$tmp/start-qemu" "$(qemu "$tmp/qemu.$i.log")"
	bench_record "$tmp/start-ours" "$(ours "$tmp/ours.$i.log")"
	bench_record "$tmp/map-anon" "$(map_ms "$tmp/ours.$i.log")"
	ours "$tmp/huge.$i.log" "$tmp/huge.conf" >/dev/null
	bench_record "$tmp/map-huge" "$(map_ms "$tmp/huge.$i.log")"
done
bench_metric vfio_guest_start_ms "$tmp/start-ours" "$tmp/start-qemu"
bench_metric vfio_dma_map_ms "$tmp/map-huge" "$tmp/map-anon" 1 anonymous hugetlb
