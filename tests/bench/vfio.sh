#!/bin/bash
# vfio_guest_start_ms: time from exec to the guest's first init line, with
# one igb VF passed through to a 1G guest, for partvm and for
# `qemu-system-x86_64 -accel kvm -device vfio-pci,host=VF`, the same kernel
# and initramfs, in the same lab run. Both run three times, interleaved, and the
# faster run of each counts. Also the DMA map of the guest's RAM, which
# partvm logs, with anonymous and with hugetlb backing.
# Runs inside the lab (tests/lab/run tests/bench/vfio.sh). Prints:
#   METRIC vfio_guest_start_ms ours=... qemu=... ratio=...
#   METRIC vfio_dma_map_ms anonymous=... hugetlb=... ratio=...
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/lab/lib.sh"
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
	[ -n "$t1" ] || { echo "vfio-bench: no init line from $1" >&2; cat "$log" >&2; exit 1; }
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }'
}

ours() {
	start_ms "$1" "$PARTVM" run --kernel "$LAB_BZIMAGE" --initrd "$tmp/initrd" -m 1G \
		--append 'console=ttyS0 quiet' --vfio "$vf,managed=no" "${@:2}"
}

qemu() {
	start_ms "$1" qemu-system-x86_64 -accel kvm -M pc -m 1G -nodefaults -no-user-config \
		-display none -no-reboot -serial stdio -kernel "$LAB_BZIMAGE" -initrd "$tmp/initrd" \
		-append 'console=ttyS0 quiet' -device "vfio-pci,host=$vf"
}

best_ours= best_qemu=
for round in 1 2 3; do
	d=$(qemu "$tmp/qemu.$round.log")
	echo "vfio-bench: round $round qemu $d ms" >&2
	[ -z "$best_qemu" ] || [ "$d" -lt "$best_qemu" ] && best_qemu=$d
	d=$(ours "$tmp/ours.$round.log")
	echo "vfio-bench: round $round partvm $d ms" >&2
	[ -z "$best_ours" ] || [ "$d" -lt "$best_ours" ] && best_ours=$d
done

# The DMA map of 1 GiB of guest RAM, as partvm logs it.
map_ms() {
	sed -n 's/.*mapped for DMA in \([0-9.]*\) ms.*/\1/p' "$1" | head -n1
}
anon=$(map_ms "$tmp/ours.3.log")
echo 512 >"$hp"
[ "$(cat "$hp")" -ge 512 ] || { echo "vfio-bench: cannot reserve 512 huge pages" >&2; exit 1; }
printf '[partition]\nmemory-backing = hugetlb\n' >"$tmp/huge.conf"
d=$(ours "$tmp/huge.log" "$tmp/huge.conf")
huge=$(map_ms "$tmp/huge.log")
echo "vfio-bench: partvm with hugetlb backing: $d ms to the first init line" >&2
echo "vfio-bench: DMA map of 1024 MiB of guest RAM: anonymous $anon ms, hugetlb $huge ms" >&2
[ -n "$anon" ] && [ -n "$huge" ] || { echo "vfio-bench: no DMA map time in partvm's log" >&2; exit 1; }

echo "METRIC vfio_guest_start_ms ours=$best_ours qemu=$best_qemu ratio=$(awk "BEGIN { printf \"%.3f\", $best_ours / $best_qemu }")"
echo "METRIC vfio_dma_map_ms anonymous=$anon hugetlb=$huge ratio=$(awk "BEGIN { printf \"%.3f\", $huge / $anon }")"
