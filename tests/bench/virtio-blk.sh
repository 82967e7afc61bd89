#!/bin/bash
# virtio-blk against QEMU's, in the same lab run on the same KVM: the same
# Debian kernel, initramfs (with Debian's fio), vCPUs and memory, and the
# same disk, a 1 GiB loop device over RAM (a file in /dev/shm; loop devices
# take O_DIRECT, tmpfs in 6.1 does not). partvm uses cache = none (O_DIRECT,
# io_uring, a thread per queue); QEMU `-device virtio-blk-pci` with an
# iothread and `cache=none,aio=io_uring`. Both get one queue per vCPU.
# In the guest, fio with O_DIRECT and libaio, BENCH_FIO_SECONDS (5) each:
#   4 KiB random reads at queue depth 32 (IOPS)
#   1 MiB sequential reads and writes at queue depth 8 (MB/s)
# Each VMM boots BENCH_SAMPLES (10) times, alternating; every round is
# printed, and min/median/max over them (tests/bench/lib.sh). A boot where
# fio did not finish fails the benchmark. Also partvm's RSS overhead with one disk
# attached, the test guest idling (as vmm_rss_overhead, which has none).
# Prints:
#   METRIC virtio_blk_randread_iops ours=... qemu=... ratio=...
#   METRIC virtio_blk_seqread_mbs ours=... qemu=... ratio=...
#   METRIC virtio_blk_seqwrite_mbs ours=... qemu=... ratio=...
#   METRIC virtio_blk_vmm_rss ours=... (MiB, one disk)
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/lab/lib.sh"
. "$here/tests/bench/lib.sh"
tmp=$(mktemp -d)
rounds=$(bench_samples)
secs=${BENCH_FIO_SECONDS:-5}
loop=
cleanup() {
	[ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
	rm -f /dev/shm/partvm-bench.img
	rm -rf "$tmp"
}
trap cleanup EXIT

modprobe loop
dd if=/dev/zero of=/dev/shm/partvm-bench.img bs=1M count=1024 status=none
loop=$(losetup --find --show /dev/shm/partvm-bench.img)

cat >"$tmp/fio.sh" <<EOF
#!/bin/sh
job() {
	name=\$1
	shift
	fio --name=\$name --filename=/dev/vda --direct=1 --ioengine=libaio --runtime=$secs \\
		--time_based --group_reporting --output-format=terse --terse-version=3 "\$@" |
		awk -F';' -v n="\$name" '{ printf "bench-fio: %s %s %s %s %s\\n", n, \$7, \$8, \$48, \$49 }'
}
job randread --rw=randread --bs=4k --iodepth=32
job seqread --rw=read --bs=1M --iodepth=8
job seqwrite --rw=write --bs=1M --iodepth=8
echo "bench-fio: done"
EOF
chmod +x "$tmp/fio.sh"
lab_guest_initrd --bin /usr/bin/fio "$tmp/initrd" "$tmp/fio.sh" virtio_pci virtio_blk >/dev/null
append="console=ttyS0 panic=-1 quiet"

# run NAME CMD...: boot, let fio run, keep its lines in $tmp/NAME.out.
run() {
	local name=$1
	shift
	bench_boot "$tmp/$name" 'bench-fio: done' "virtio-blk: $name: fio did not finish" "$@"
}
# field NAME JOB COLUMN: a number from the job's line (3 read KiB/s,
# 4 read IOPS, 5 write KiB/s, 6 write IOPS).
field() {
	# The serial console may put something before a line: look inside.
	tr -d '\r' <"$tmp/$1.out" | sed -n 's/.*\(bench-fio: .*\)/\1/p' |
		awk -v j="$2" -v c="$3" '$2 == j { print $c }'
}

ours() {
	run "ours$1" "$PARTVM" run --kernel "$LAB_BZIMAGE" --initrd "$tmp/initrd" --cpus 2 \
		--memory 1G --append "$append" --disk "$loop,cache=none"
}
qemu() {
	run "qemu$1" qemu-system-x86_64 -nodefaults -no-user-config -nographic -serial stdio \
		-M q35,accel=kvm -bios /usr/share/qemu/qboot.rom -cpu host -smp 2 -m 1G -no-reboot \
		-kernel "$LAB_BZIMAGE" -initrd "$tmp/initrd" -append "$append" \
		-object iothread,id=io0 \
		-drive "file=$loop,if=none,id=d0,format=raw,cache=none,aio=io_uring" \
		-device virtio-blk-pci,drive=d0,iothread=io0
}
for r in $(seq "$rounds"); do
	if [ $((r % 2)) = 1 ]; then ours "$r"; qemu "$r"; else qemu "$r"; ours "$r"; fi
	for v in ours qemu; do
		echo "bench: round $r $v: randread $(field "$v$r" randread 4) IOPS," \
			"seqread $(field "$v$r" seqread 3) KiB/s, seqwrite $(field "$v$r" seqwrite 5) KiB/s"
		for j in randread seqread seqwrite; do
			if [ -z "$(field "$v$r" $j 3)" ]; then
				grep -a 'bench-fio' "$tmp/$v$r.out" >&2
				bench_fail "virtio-blk: round $r $v: no result for $j"
			fi
		done
	done
done

# metric NAME JOB COLUMN SCALE: median over the rounds, for both.
metric() {
	local name=$1 job=$2 col=$3 scale=$4 r v
	rm -f "$tmp/m-ours" "$tmp/m-qemu"
	for r in $(seq "$rounds"); do
		for v in ours qemu; do bench_record "$tmp/m-$v" "$(field "$v$r" "$job" "$col")"; done
	done
	bench_metric "$name" "$tmp/m-ours" "$tmp/m-qemu" "$scale"
}
bench_redos
metric virtio_blk_randread_iops randread 4 1
metric virtio_blk_seqread_mbs seqread 3 1024
metric virtio_blk_seqwrite_mbs seqwrite 5 1024

# partvm's RSS overhead with one disk, the test guest idling.
measure=$(lab_helper vmm-measure)
kib=$("$measure" rss "tick 10" "$PARTVM" run --memory 128M --append idle \
	--disk "$loop,cache=none" | sed -n 's/.*overhead-kib \([0-9-]*\).*/\1/p')
echo "METRIC virtio_blk_vmm_rss ours=$(awk -v k="$kib" 'BEGIN { printf "%.2f", k / 1024 }')"
