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
#                         and partvm's start-up phases (--stats), medians;
#                         the lab's floor: a bare KVM program, the same way
#   vmm_rss_overhead      peak RSS minus the guest RAM the guest touched,
#                         the same guest idling (MiB)
#   lab_linux_boot_to_init  exec -> the first line of Debian's kernel's
#                         init (s); the kernel as bzImage and as the ELF
#                         vmlinux inside it (PVH) for both VMMs, QEMU in each
#                         of its fast configurations (pc + SeaBIOS, q35 +
#                         qboot, microvm + qboot, all -kernel): each VMM's
#                         lowest median counts, both named in the METRIC
#                         line, and all are printed; then partvm's --stats
#                         exit profile of one such boot (top 10 sources)
# Subsystems add their own (tests/bench/*.sh other than run, lab.sh, lib.sh).
set -euo pipefail
. "$(dirname "$0")/../lab/lib.sh"
. "$(dirname "$0")/lib.sh"

TMPDIR=$(mktemp -d /tmp/partvm-bench.XXXXXX)
trap 'rm -rf "$TMPDIR"' EXIT
n=$(bench_samples)
guest=$LAB_CHECKOUT/build/core/guest/testguest.elf

echo "bench: the lab host: $(nproc) CPUs ($(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -n1))," \
	"$(awk '/^MemTotal:/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo), kernel $(uname -r)," \
	"kvm_amd nested=$(cat /sys/module/kvm_amd/parameters/nested 2>/dev/null || echo '?')"
echo "bench: nested: yes; partvm and QEMU run as KVM guests of the lab host, itself a TCG guest of this machine"

qemu=(qemu-system-x86_64 -nodefaults -no-user-config -display none -serial stdio -accel kvm -cpu host)
qboot=(-bios /usr/share/qemu/qboot.rom)

# --- startup_first_output
for i in $(seq "$n"); do
	bench_sample "$TMPDIR/start-ours" first-output-ms first-output "$PARTVM" run --memory 128M
	bench_sample "$TMPDIR/start-qemu" first-output-ms first-output "${qemu[@]}" -M microvm,pit=off,pic=off,rtc=off \
		"${qboot[@]}" -m 128M -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$guest"
done
bench_metric startup_first_output "$TMPDIR/start-ours" "$TMPDIR/start-qemu"
# The lab's floor for the same measure: tests/lab/kvm-hello.c, a bare KVM
# program (KVM_CREATE_VM, one page of RAM, one vCPU that writes a byte to
# a port and halts; nothing else), whose output leaves at its exit.
for i in $(seq "$n"); do
	bench_sample "$TMPDIR/start-bare" first-output-ms first-output "$(lab_helper kvm-hello)"
done
read -r -a bare <<<"$(_bench_spread "$TMPDIR/start-bare" 1)"
read -r -a ours <<<"$(_bench_spread "$TMPDIR/start-ours" 1)"
read -r -a theirs <<<"$(_bench_spread "$TMPDIR/start-qemu" 1)"
echo "bench: start-up floor: a bare KVM program (kvm-hello), exec -> exit, min/median/max" \
	"${bare[0]}/${bare[1]}/${bare[2]} ms ($n samples), ratio $(awk -v a="${bare[1]}" -v q="${theirs[1]}" \
	'BEGIN { printf "%.3f", a / q }') against QEMU's median; partvm's ${ours[1]} ms"
# Where partvm's start-up goes, from its own side (--stats' start-up line,
# each phase's end in ms after the VM's start; "before" is the command
# line and config before it): medians of as many runs. What exec to
# first output takes beyond before + first-output is the dynamic loader
# and C library start-up.
for i in $(seq "$n"); do
	# The test guest ends with its own status (33); no start-up line is
	# the failure.
	{ "$PARTVM" run --memory 128M --stats 2>&1 >/dev/null || true; } |
		sed -n "s/^stats: start-up, ms after the VM's start (\([0-9.]*\) ms before it): /before \1, /p"
done | tr ',' '\n' | awk 'NF == 2 { print $1, $2 }' >"$TMPDIR/phases"
[ "$(grep -c '^first-output ' "$TMPDIR/phases")" = "$n" ] ||
	bench_fail "partvm's start-up phases: not every --stats run reported its start-up and first output"
line="bench: partvm's start-up phases, ms, medians of $n runs (each phase's end after the VM's start):"
for p in $(awk '!seen[$1]++ { print $1 }' "$TMPDIR/phases"); do
	awk -v p="$p" '$1 == p { print $2 }' "$TMPDIR/phases" >"$TMPDIR/phase-$p"
	read -r _ med _ _ <<<"$(_bench_spread "$TMPDIR/phase-$p" 1)"
	line+=" $p $med,"
done
echo "${line%,}"

# --- vmm_rss_overhead (KiB measured, MiB printed)
for i in $(seq "$n"); do
	bench_sample "$TMPDIR/rss-ours" overhead-kib rss "tick 10" "$PARTVM" run --memory 128M --append idle
	bench_sample "$TMPDIR/rss-qemu" overhead-kib rss "tick 10" "${qemu[@]}" -M microvm,pit=off,pic=off,rtc=off \
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
		bench_sample "$TMPDIR/boot-ours-$k" until-ms until "bench: init started" "$PARTVM" run \
			--kernel "${kfile[$k]}" --initrd "$TMPDIR/initrd.img" --memory 512M --cpus 2 --append "$append"
		for c in "${configs[@]}"; do
			# shellcheck disable=SC2046
			bench_sample "$TMPDIR/boot-$c-$k" until-ms until "bench: init started" "${qemu[@]}" \
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
# Where one of those boots goes, from partvm's side (--stats): exits by
# kind, the top 10 exit sources with their handler time and the first and
# last exit's time after start, which date the guest's phases (PCI scans
# at pci-cf8, its console at com1, ACPI at acpi-pm).
stats=$({ "$PARTVM" run --kernel "$LAB_VMLINUX" --initrd "$TMPDIR/initrd.img" --memory 512M --cpus 2 \
	--append "$append" --stats 2>&1 >/dev/null || true; } | grep '^stats: ' || true)
grep -q '^stats: exits by kind' <<<"$stats" ||
	bench_fail "partvm --stats of a Linux boot printed no exit profile"
echo "bench: one Linux boot's profile (vmlinux, 512M, 2 vCPUs), partvm --stats:"
sed -n '/^stats: [0-9.]* s since start/p; /^stats: exits by kind/p; /^stats: top [0-9]* exit sources/,$p' <<<"$stats" |
	sed 's/^stats: /bench:   /; s/top \([0-9]*\) exit sources/exit sources, the top 10 of \1/' | head -n 13

# --- the subsystems' benchmarks
for b in "$(dirname "$0")"/*.sh; do
	case $(basename "$b") in lab.sh|lib.sh) continue ;; esac
	case " ${BENCH_SKIP:-} " in
	*" $(basename "$b" .sh) "*) echo "bench: $(basename "$b" .sh): not run (BENCH_SKIP)"; continue ;;
	esac
	"$b"
done
