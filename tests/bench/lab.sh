#!/bin/bash
# The benchmarks, run inside the lab host (tests/bench/run). Every number is
# measured for partvm and QEMU in this same run, on the same KVM, with the
# same kernel, initramfs, command line, vCPUs and memory; QEMU gets
# `-accel kvm -cpu host` and, like partvm, anonymous memory, and boots the
# kernel with -kernel (qboot, its minimal firmware, where one configuration
# is used; the best of its fast configurations for the Linux boot). Each figure is BENCH_SAMPLES (10) samples per VMM, alternating,
# reported as min/median/max (tests/bench/lib.sh); a failed sample fails
# the benchmark.
#   startup_first_output  exec -> first byte of the guest's serial output,
#                         the tiny PVH test guest (ms)
#   vmm_rss_overhead      peak RSS minus the guest RAM the guest touched,
#                         the same guest idling (MiB)
#   lab_linux_boot_to_init  exec -> the first line of Debian's kernel's
#                         init (s); the kernel as bzImage and as the ELF
#                         vmlinux inside it (PVH) for both VMMs, QEMU in each
#                         of its fast configurations (pc + SeaBIOS, q35 +
#                         qboot, microvm + qboot, all -kernel): each VMM's
#                         lowest median counts, both named in the METRIC
#                         line, and all are printed
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
	# "KEY VALUE" pairs, several on a line (rss prints three).
	bench_record "$file" "$(awk -v k="$key" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$out")"
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
# The same kernel in both of the forms a VMM can take it: Debian's bzImage
# and the ELF vmlinux inside it (PVH entry; the lab extracts it with the
# kernel's own extract-vmlinux). Each VMM boots both; its better one counts.
declare -A kfile=([bzImage]=$LAB_BZIMAGE [vmlinux]=$LAB_VMLINUX)
forms=(bzImage vmlinux)
# QEMU's fast configurations, each booting with -kernel: the best median
# counts, and which one it was is printed.
configs=(pc+seabios q35+qboot microvm+qboot)
qemu_config() {
	case $1 in
	pc+seabios) echo -M pc ;;
	q35+qboot) echo -M q35 "${qboot[@]}" ;;
	microvm+qboot) echo -M microvm "${qboot[@]}" ;;
	esac
}
for i in $(seq "$n"); do
	for k in "${forms[@]}"; do
		sample "$TMPDIR/boot-ours-$k" until-ms until "bench: init started" "$PARTVM" run \
			--kernel "${kfile[$k]}" --initrd "$TMPDIR/initrd.img" --memory 512M --cpus 2 --append "$append"
		for c in "${configs[@]}"; do
			# shellcheck disable=SC2046
			sample "$TMPDIR/boot-$c-$k" until-ms until "bench: init started" "${qemu[@]}" \
				$(qemu_config "$c") -smp 2 -m 512M -kernel "${kfile[$k]}" \
				-initrd "$TMPDIR/initrd.img" -append "$append"
		done
	done
done
# best FILE...: the one with the lowest median.
best() {
	local f b= bm= lo med hi
	for f; do
		read -r lo med hi _ <<<"$(_bench_spread "$f" 1000)"
		echo "bench: ${f##*/boot-} boot to init, s min/median/max: $lo/$med/$hi" >&2
		if [ -z "$b" ] || awk -v a="$med" -v b="$bm" 'BEGIN { exit !(a < b) }'; then
			b=$f bm=$med
		fi
	done
	echo "$b"
}
ours_best=$(best "$TMPDIR"/boot-ours-*)
theirs=()
for c in "${configs[@]}"; do for k in "${forms[@]}"; do theirs+=("$TMPDIR/boot-$c-$k"); done; done
qemu_best=$(best "${theirs[@]}")
bench_metric lab_linux_boot_to_init "$ours_best" "$qemu_best" 1000 "qemu_best" |
	sed "/^METRIC/s/ ratio=/ config=${qemu_best##*/boot-} ours_config=${ours_best##*/boot-ours-} ratio=/"

# --- the subsystems' benchmarks
for b in "$(dirname "$0")"/*.sh; do
	case $(basename "$b") in lab.sh|lib.sh) continue ;; esac
	"$b"
done
