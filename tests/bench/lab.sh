#!/bin/bash
# The benchmarks, run inside the lab host (tests/bench/run). Every number is
# measured for partvm and QEMU in this same run, on the same KVM:
#   startup_first_output  exec -> first byte of the guest's serial output,
#                         the tiny PVH test guest, median of BENCH_RUNS (21)
#   vmm_rss_overhead      peak RSS minus the guest RAM the guest touched,
#                         the same guest idling
#   lab_linux_boot_to_init  exec -> the first line of Debian's kernel's
#                         init, median of BENCH_BOOTS (3); QEMU as microvm
#                         and q35, both with qboot, the faster one counts
# Subsystems add their own (tests/bench/*.sh other than run and lab.sh).
set -euo pipefail
. "$(dirname "$0")/../lab/lib.sh"

TMPDIR=$(mktemp -d /tmp/partvm-bench.XXXXXX)
trap 'rm -rf "$TMPDIR"' EXIT
runs=${BENCH_RUNS:-21}
boots=${BENCH_BOOTS:-3}
measure=$(lab_helper vmm-measure)
guest=$LAB_CHECKOUT/build/core/guest/testguest.elf
qemu=(qemu-system-x86_64 -nodefaults -no-user-config -nographic -serial stdio -m 128M)
qemu_microvm=("${qemu[@]}" -M microvm,accel=kvm,pit=off,pic=off,rtc=off
	-bios /usr/share/qemu/qboot.rom -device isa-debug-exit,iobase=0xf4,iosize=4)

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# repeat N WHAT CMD...: the median of N "KEY VALUE" measurements.
repeat() {
	local n=$1 what=$2 i
	shift 2
	for i in $(seq "$n"); do
		"$measure" "$@" | awk '{ print $2 }'
	done | median
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

# --- startup_first_output
ours=$(repeat "$runs" startup first-output "$PARTVM" run --memory 128M)
theirs=$(repeat "$runs" startup first-output "${qemu_microvm[@]}" -kernel "$guest")
echo "METRIC startup_first_output ours=$ours qemu=$theirs ratio=$(ratio "$ours" "$theirs")"

# --- vmm_rss_overhead (KiB measured, MiB printed)
rss() {
	"$measure" rss "tick 10" "$@" | sed -n 's/.*overhead-kib \([0-9-]*\).*/\1/p'
}
ours=$(rss "$PARTVM" run --memory 128M --append idle)
theirs=$(rss "${qemu_microvm[@]}" -kernel "$guest" -append idle)
echo "METRIC vmm_rss_overhead ours=$(awk -v k="$ours" 'BEGIN { printf "%.2f", k / 1024 }') qemu=$(awk -v k="$theirs" 'BEGIN { printf "%.2f", k / 1024 }')"

# --- lab_linux_boot_to_init (seconds)
cat >"$TMPDIR/init.sh" <<'INIT'
#!/bin/sh
echo "bench: init started"
INIT
chmod +x "$TMPDIR/init.sh"
lab_guest_initrd "$TMPDIR/initrd.img" "$TMPDIR/init.sh" >/dev/null
append="console=ttyS0 panic=-1 quiet"
boot() { repeat "$boots" boot until "bench: init started" "$@"; }
ours=$(boot "$PARTVM" run --kernel "$LAB_BZIMAGE" --initrd "$TMPDIR/initrd.img" --memory 512M \
	--cpus 2 --append "$append")
microvm=$(boot "${qemu[@]}" -M microvm,accel=kvm -bios /usr/share/qemu/qboot.rom -smp 2 -m 512M \
	-kernel "$LAB_BZIMAGE" -initrd "$TMPDIR/initrd.img" -append "$append")
q35=$(boot "${qemu[@]}" -M q35,accel=kvm -bios /usr/share/qemu/qboot.rom -smp 2 -m 512M \
	-kernel "$LAB_BZIMAGE" -initrd "$TMPDIR/initrd.img" -append "$append")
theirs=$(printf '%s\n%s\n' "$microvm" "$q35" | sort -n | head -n 1)
echo "bench: QEMU boot to init: microvm ${microvm} ms, q35 ${q35} ms"
echo "METRIC lab_linux_boot_to_init ours=$(awk -v m="$ours" 'BEGIN { printf "%.2f", m / 1000 }') qemu=$(awk -v m="$theirs" 'BEGIN { printf "%.2f", m / 1000 }') ratio=$(ratio "$ours" "$theirs")"

# --- the subsystems' benchmarks
for b in "$(dirname "$0")"/*.sh; do
	case $(basename "$b") in lab.sh) continue ;; esac
	"$b"
done
