#!/bin/bash
# The benchmarks, run inside the lab host (tests/bench/run). Every number is
# measured for partvm and QEMU in this same run, on the same KVM, with the
# same kernel, initramfs, command line, vCPUs and memory; QEMU gets
# `-accel kvm -cpu host` and, like partvm, anonymous memory, and boots the
# kernel directly through qboot (its minimal firmware: no SeaBIOS on one
# side). Each figure is BENCH_SAMPLES (10) samples per VMM, alternating,
# reported as min/median/max (tests/bench/lib.sh); a failed sample fails
# the benchmark.
#   startup_first_output  exec -> first byte of the guest's serial output,
#                         the tiny PVH test guest (ms)
#   vmm_rss_overhead      peak RSS minus the guest RAM the guest touched,
#                         the same guest idling (MiB)
#   lab_linux_boot_to_init  exec -> the first line of Debian's kernel's
#                         init (s); QEMU as pc and as microvm, both with
#                         qboot: the one with the lower median counts, and
#                         both are printed
# Subsystems add their own (tests/bench/*.sh other than run, lab.sh, lib.sh).
set -euo pipefail
. "$(dirname "$0")/../lab/lib.sh"
. "$(dirname "$0")/lib.sh"

TMPDIR=$(mktemp -d /tmp/partvm-bench.XXXXXX)
trap 'rm -rf "$TMPDIR"' EXIT
n=$(bench_samples)
measure=$(lab_helper vmm-measure)
guest=$LAB_CHECKOUT/build/core/guest/testguest.elf

echo "bench: the lab host: $(nproc) CPUs ($(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -n1))," \
	"$(awk '/^MemTotal:/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo), kernel $(uname -r)," \
	"kvm_amd nested=$(cat /sys/module/kvm_amd/parameters/nested 2>/dev/null || echo '?')"
echo "bench: nested: yes; partvm and QEMU run as KVM guests of the lab host, itself a TCG guest of this machine"

qemu=(qemu-system-x86_64 -nodefaults -no-user-config -display none -serial stdio -accel kvm -cpu host)
qboot=(-bios /usr/share/qemu/qboot.rom)

# sample FILE KEY CMD...: one vmm-measure run, its KEY value into FILE.
sample() {
	local file=$1 key=$2 out
	shift 2
	out=$("$measure" "$@") || bench_fail "$key: vmm-measure failed for ${*:2:1}"
	bench_record "$file" "$(awk -v k="$key" '$1 == k { print $2 }' <<<"$out")"
}

# --- startup_first_output
for i in $(seq "$n"); do
	sample "$TMPDIR/start-ours" first-output-ms first-output "$PARTVM" run --memory 128M
	sample "$TMPDIR/start-qemu" first-output-ms first-output "${qemu[@]}" -M microvm,pit=off,pic=off,rtc=off \
		"${qboot[@]}" -m 128M -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$guest"
done
bench_metric startup_first_output "$TMPDIR/start-ours" "$TMPDIR/start-qemu"

# --- vmm_rss_overhead (KiB measured, MiB printed)
for i in $(seq "$n"); do
	sample "$TMPDIR/rss-ours" overhead-kib rss "tick 10" "$PARTVM" run --memory 128M --append idle
	sample "$TMPDIR/rss-qemu" overhead-kib rss "tick 10" "${qemu[@]}" -M microvm,pit=off,pic=off,rtc=off \
		"${qboot[@]}" -m 128M -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$guest" -append idle
done
bench_metric vmm_rss_overhead "$TMPDIR/rss-ours" "$TMPDIR/rss-qemu" 1024

# --- lab_linux_boot_to_init (ms measured, s printed)
cat >"$TMPDIR/init.sh" <<'INIT'
#!/bin/sh
echo "bench: init started"
INIT
chmod +x "$TMPDIR/init.sh"
lab_guest_initrd "$TMPDIR/initrd.img" "$TMPDIR/init.sh" >/dev/null
append="console=ttyS0 panic=-1 quiet"
linux=(-smp 2 -m 512M -kernel "$LAB_BZIMAGE" -initrd "$TMPDIR/initrd.img" -append "$append")
for i in $(seq "$n"); do
	sample "$TMPDIR/boot-ours" until-ms until "bench: init started" "$PARTVM" run --kernel "$LAB_BZIMAGE" \
		--initrd "$TMPDIR/initrd.img" --memory 512M --cpus 2 --append "$append"
	sample "$TMPDIR/boot-pc" until-ms until "bench: init started" "${qemu[@]}" -M pc "${qboot[@]}" "${linux[@]}"
	sample "$TMPDIR/boot-microvm" until-ms until "bench: init started" "${qemu[@]}" -M microvm \
		"${qboot[@]}" "${linux[@]}"
done
bench_metric lab_linux_boot_to_init_pc "$TMPDIR/boot-ours" "$TMPDIR/boot-pc" 1000 >/dev/null
pc=$(_bench_spread "$TMPDIR/boot-pc" 1) microvm=$(_bench_spread "$TMPDIR/boot-microvm" 1)
echo "bench: QEMU boot to init, min/median/max ms: pc+qboot ${pc% *}, microvm+qboot ${microvm% *}"
best=$TMPDIR/boot-pc
[ "$(awk -v a="${microvm#* }" -v b="${pc#* }" 'BEGIN { print (a + 0 < b + 0) }')" = 0 ] || best=$TMPDIR/boot-microvm
bench_metric lab_linux_boot_to_init "$TMPDIR/boot-ours" "$best" 1000

# --- the subsystems' benchmarks
for b in "$(dirname "$0")"/*.sh; do
	case $(basename "$b") in lab.sh|lib.sh) continue ;; esac
	"$b"
done
