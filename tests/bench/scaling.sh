#!/bin/bash
# How the cost grows with the work, partvm and QEMU side by side in the same
# lab host (run by tests/bench/lab.sh; see there for the common rules: the
# same kernel, initramfs and command line, QEMU with -accel kvm -cpu host,
# BENCH_SAMPLES samples per VMM and configuration, alternating, a failed
# sample fails the benchmark). QEMU is `-M pc` with SeaBIOS and -kernel,
# its fastest configuration for this Linux boot in lab.sh's comparison.
# Both boot the ELF vmlinux (PVH entry): partvm's faster form, and QEMU's
# is the same either way (lab.sh compares both forms); under TCG the
# bzImage's self-decompression would add ~4 s to every partvm boot here.
#   scale_boot_cpus_N     Debian's kernel to its init (s), N vCPUs (1 2 4
#                         8), 512 MiB
#   scale_boot_mem_M_B    the same with 2 vCPUs and M of RAM (256M 1G 4G),
#                         B anonymous or hugetlb (2 MiB pages, reserved
#                         for the run and given back)
#   scale_start_mem_M_B   exec to the test guest's first output (ms), the
#                         same memory sizes and backings
#   scale_fill_2g         a memory-heavy guest (s): 4 vCPUs, 2 GiB, boot,
#                         write and check 1.5 GiB (tests/lab/memtest), with
#                         the lab's THP setting (off, lab-init)
#   scale_fill_2g_thp     the same with THP on, as a Debian host has it
#                         (enabled=always), but no page moved behind a
#                         running nested guest (defrag=never, khugepaged
#                         asleep): see thp_on below
# Then the tables, one line per configuration: medians and ratio.
set -euo pipefail
. "$(dirname "$0")/../lab/lib.sh"
. "$(dirname "$0")/lib.sh"

TMPDIR=$(mktemp -d /tmp/partvm-bench-scaling.XXXXXX)
hp_before=$(cat /proc/sys/vm/nr_hugepages)
THP=/sys/kernel/mm/transparent_hugepage
thp_files=("$THP/enabled" "$THP/defrag" "$THP/khugepaged/defrag" "$THP/khugepaged/scan_sleep_millisecs")
thp_before=()
for f in "${thp_files[@]}"; do
	v=$(cat "$f")
	# enabled and defrag read "always madvise [never]": the bracketed one.
	[[ $v == *\[* ]] && v=${v#*[} && v=${v%]*}
	thp_before+=("$v")
done
thp_restore() {
	for i in "${!thp_files[@]}"; do echo "${thp_before[$i]}" >"${thp_files[$i]}"; done
}
trap 'thp_restore; echo "$hp_before" >/proc/sys/vm/nr_hugepages; rm -rf "$TMPDIR"' EXIT
n=$(bench_samples)
guest=$LAB_CHECKOUT/build/core/guest/testguest.elf
memtest=$(lab_helper memtest)
qemu=(qemu-system-x86_64 -nodefaults -no-user-config -display none -serial stdio -accel kvm -cpu host
	-M pc -no-reboot)
append="console=ttyS0 panic=-1 quiet"

cat >"$TMPDIR/init.sh" <<INIT
#!/bin/sh
echo "bench: init started"
fill=\$(sed -n 's/.*bench_fill=\([0-9]*\).*/\1/p' /proc/cmdline)
[ -z "\$fill" ] || $memtest "\$fill"
INIT
chmod +x "$TMPDIR/init.sh"
lab_guest_initrd --bin "$memtest" "$TMPDIR/initrd.img" "$TMPDIR/init.sh" >/dev/null

# huge_pages MEM: reserve MEM's worth of 2 MiB pages (0: give them back).
huge_pages() {
	local pages=$(($(numfmt --from=iec "$1") / 2097152))
	echo "$pages" >/proc/sys/vm/nr_hugepages
	[ "$(cat /proc/sys/vm/nr_hugepages)" -ge "$pages" ] ||
		bench_fail "cannot reserve $pages huge pages for $1 (got $(cat /proc/sys/vm/nr_hugepages))"
}

# Backing B for partvm and for QEMU.
ours_backing() { if [ "$1" = hugetlb ]; then echo --memory-backing hugetlb; fi; }
qemu_backing() { if [ "$1" = hugetlb ]; then echo -mem-path /dev/hugepages; fi; }

rows=()
# metric NAME: both VMMs' samples in $TMPDIR/NAME-{ours,qemu}, DIV as
# bench_metric's; its METRIC line goes to the tables too.
metric() {
	local line
	line=$(bench_metric "$1" "$TMPDIR/$1-ours" "$TMPDIR/$1-qemu" "${2:-1}")
	echo "$line"
	rows+=("$(sed -n 's/^METRIC //p' <<<"$line")")
}

# --- Boot to init by vCPUs
for cpus in 1 2 4 8; do
	for i in $(seq "$n"); do
		bench_sample "$TMPDIR/scale_boot_cpus_$cpus-ours" until-ms until "bench: init started" "$PARTVM" run \
			--kernel "$LAB_VMLINUX" --initrd "$TMPDIR/initrd.img" --memory 512M --cpus "$cpus" \
			--append "$append"
		bench_sample "$TMPDIR/scale_boot_cpus_$cpus-qemu" until-ms until "bench: init started" "${qemu[@]}" \
			-smp "$cpus" -m 512M -kernel "$LAB_VMLINUX" -initrd "$TMPDIR/initrd.img" -append "$append"
	done
	metric "scale_boot_cpus_$cpus" 1000
done

# --- Boot to init and start-up by memory and backing
for backing in anonymous hugetlb; do
	for mem in 256M 1G 4G; do
		if [ "$backing" = hugetlb ]; then huge_pages "$mem"; fi
		for i in $(seq "$n"); do
			# shellcheck disable=SC2046
			bench_sample "$TMPDIR/scale_boot_mem_${mem}_$backing-ours" until-ms until "bench: init started" \
				"$PARTVM" run --kernel "$LAB_VMLINUX" --initrd "$TMPDIR/initrd.img" --memory "$mem" \
				--cpus 2 --append "$append" $(ours_backing "$backing")
			# shellcheck disable=SC2046
			bench_sample "$TMPDIR/scale_boot_mem_${mem}_$backing-qemu" until-ms until "bench: init started" \
				"${qemu[@]}" -smp 2 -m "$mem" $(qemu_backing "$backing") -kernel "$LAB_VMLINUX" \
				-initrd "$TMPDIR/initrd.img" -append "$append"
			# shellcheck disable=SC2046
			bench_sample "$TMPDIR/scale_start_mem_${mem}_$backing-ours" first-output-ms first-output \
				"$PARTVM" run --memory "$mem" $(ours_backing "$backing")
			# shellcheck disable=SC2046
			bench_sample "$TMPDIR/scale_start_mem_${mem}_$backing-qemu" first-output-ms first-output \
				qemu-system-x86_64 -nodefaults -no-user-config -display none -serial stdio -accel kvm \
				-cpu host -M microvm,pit=off,pic=off,rtc=off -bios /usr/share/qemu/qboot.rom -m "$mem" \
				$(qemu_backing "$backing") -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$guest"
		done
		metric "scale_boot_mem_${mem}_$backing" 1000
		metric "scale_start_mem_${mem}_$backing"
		if [ "$backing" = hugetlb ]; then huge_pages 0; fi
	done
done

# THP on for guest RAM: huge pages where a fault finds a free one, but
# no compaction and no khugepaged, the two ways a page would move behind
# a running nested guest (which TCG's nested SVM shows it stale,
# tests/lab/README.md). Measured 2026-12-07: 9 such 2 GiB guests in one
# lab host allocated 13665 huge pages and migrated none.
thp_on() {
	echo always >"$THP/enabled"
	echo never >"$THP/defrag"
	echo 0 >"$THP/khugepaged/defrag"
	echo 86400000 >"$THP/khugepaged/scan_sleep_millisecs" # a day
}

# --- A memory-heavy guest: 4 vCPUs write and check 1.5 of their 2 GiB,
# THP off and on: where guest RAM is backed by 2 MiB pages, KVM maps it so
# only when the host address is congruent with the guest-physical one.
for thp in off on; do
	name=scale_fill_2g
	if [ "$thp" = on ]; then name=scale_fill_2g_thp; thp_on; fi
	for i in $(seq "$n"); do
		bench_sample "$TMPDIR/$name-ours" until-ms until "memtest: 1536 MiB ok" "$PARTVM" run \
			--kernel "$LAB_VMLINUX" --initrd "$TMPDIR/initrd.img" --memory 2G --cpus 4 \
			--append "$append bench_fill=1536"
		bench_sample "$TMPDIR/$name-qemu" until-ms until "memtest: 1536 MiB ok" "${qemu[@]}" \
			-smp 4 -m 2G -kernel "$LAB_VMLINUX" -initrd "$TMPDIR/initrd.img" -append "$append bench_fill=1536"
	done
	metric "$name" 1000
done
thp_restore

echo "bench: scaling, medians (boot and fill in s, start in ms), partvm against QEMU:"
for r in "${rows[@]}"; do
	# shellcheck disable=SC2086
	set -- $r
	printf 'bench:   %-32s %-14s %-14s %s\n' "$1" "$2" "$3" "$4"
done
