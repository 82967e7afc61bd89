#!/bin/bash
# virtio-net against QEMU's, in the same lab run on the same KVM: the same
# Debian kernel and initramfs (with Debian's iperf3), vCPUs and memory, and
# the same tap setup: a multi-queue tap made beforehand for each VMM
# (ip tuntap ... multi_queue vnet_hdr) on one lab-host bridge, the lab
# host's iperf3 server behind it. partvm takes its tap with tap=NAME on
# vhost-net; QEMU `-netdev tap,vhost=on,queues=2 -device virtio-net-pci,
# mq=on`. Both get one queue pair per vCPU. In the guest, iperf3 for
# BENCH_NET_SECONDS (5) each:
#   TCP, guest to lab host and lab host to guest (Gbit/s, the receiver's)
#   UDP with 64-byte payloads, guest to lab host, as fast as it goes
#   (packets a second the receiver got)
# Each VMM boots BENCH_SAMPLES (10) times, alternating; every round is
# printed, and min/median/max over them (tests/bench/lib.sh). A boot where
# iperf3 did not finish fails the benchmark (one whose guest triple-faulted
# boots again: tests/bench/lib.sh).
# Prints:
#   METRIC virtio_net_tcp_gbps ours=... qemu=... ratio=...      (guest to host)
#   METRIC virtio_net_tcp_rx_gbps ours=... qemu=... ratio=...   (host to guest)
#   METRIC virtio_net_udp64_pps ours=... qemu=... ratio=...
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/lab/lib.sh"
. "$here/tests/bench/lib.sh"
tmp=$(mktemp -d)
rounds=$(bench_samples)
secs=${BENCH_NET_SECONDS:-5}
BR=pvbenchbr0 HOST_IP=10.0.88.1
server=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null
	ip link del pvbench-o 2>/dev/null
	ip link del pvbench-q 2>/dev/null
	ip link del "$BR" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

modprobe tun
modprobe bridge
modprobe vhost_net
ip link add "$BR" type bridge
ip addr add "$HOST_IP/24" dev "$BR"
ip link set "$BR" up
for t in pvbench-o pvbench-q; do
	ip tuntap add "$t" mode tap multi_queue vnet_hdr
	ip link set "$t" master "$BR" up
done
# server_start: a fresh iperf3 server for each boot. One serves one test
# at a time, and a guest that died mid-test (a triple fault, then booted
# again) leaves it busy with that test: the next boot's tests were all
# refused ("the server is busy"), and the bench ended on a missing result.
server_start() {
	if [ -n "$server" ]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
	iperf3 -s -B "$HOST_IP" >>"$tmp/server.log" 2>&1 &
	server=$!
	for _ in $(seq 50); do
		ss -Hltn "sport = :5201" | grep -q . && return 0
		sleep 0.1
	done
	bench_fail "virtio-net: the iperf3 server does not listen on $HOST_IP:5201"
}
# Before every boot, the first and one after a triple fault (bench_boot).
bench_before_boot() {
	server_start
}

cat >"$tmp/net.sh" <<EOF
#!/bin/sh
ip link set eth0 up
ip addr add 10.0.88.2/24 dev eth0
# The bridge learns the guest's address before the first test.
ping -c 3 -i 0.2 -q $HOST_IP >/dev/null
measure() {
	name=\$1
	shift
	out=\$(/usr/bin/iperf3 -c $HOST_IP -t $secs -f m "\$@" 2>&1)
	line=\$(echo "\$out" | sed -n 's/^\\(.*receiver\\)\$/\\1/p')
	if [ -n "\$line" ]; then
		echo "bench-net: \$name \$line"
	else
		echo "bench-net: \$name failed: \$(echo "\$out" | tail -n 1)"
	fi
}
measure tcp
measure tcprx -R
measure udp64 -u -b 0 -l 64
echo "bench-net: done"
EOF
chmod +x "$tmp/net.sh"
lab_guest_initrd --bin /usr/bin/iperf3 "$tmp/initrd" "$tmp/net.sh" virtio_pci virtio_net >/dev/null
append="console=ttyS0 panic=-1 quiet"

# run NAME CMD...: boot, let iperf3 run, keep its lines in $tmp/NAME.out.
run() {
	local name=$1
	shift
	bench_boot "$tmp/$name" 'bench-net: done' "virtio-net: $name: iperf3 did not finish" "$@"
}
# line NAME TEST: the receiver line of TEST.
line() {
	tr -d '\r' <"$tmp/$1.out" | sed -n "s/.*bench-net: $2 //p" | tail -n 1
}
# gbps NAME TEST: the receiver's Gbit/s.
gbps() {
	line "$1" "$2" | awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "Mbits/sec") { printf "%.3f", $i / 1000; exit } }'
}
# pps NAME: UDP datagrams a second the receiver got ("lost/total").
pps() {
	line "$1" udp64 | awk -v s="$secs" '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) {
		split($i, a, "/"); printf "%d", (a[2] - a[1]) / s; exit } }'
}

ours() {
	run "ours$1" "$PARTVM" run --kernel "$LAB_BZIMAGE" --initrd "$tmp/initrd" --cpus 2 \
		--memory 1G --append "$append" --net "tap=pvbench-o,vhost=yes"
}
qemu() {
	run "qemu$1" qemu-system-x86_64 -nodefaults -no-user-config -nographic -serial stdio \
		-M q35,accel=kvm -bios /usr/share/qemu/qboot.rom -cpu host -smp 2 -m 1G -no-reboot \
		-kernel "$LAB_BZIMAGE" -initrd "$tmp/initrd" -append "$append" \
		-netdev tap,id=n0,ifname=pvbench-q,script=no,downscript=no,vhost=on,queues=2 \
		-device virtio-net-pci,netdev=n0,mq=on,vectors=6
}
for r in $(seq "$rounds"); do
	if [ $((r % 2)) = 1 ]; then ours "$r"; qemu "$r"; else qemu "$r"; ours "$r"; fi
	for v in ours qemu; do
		echo "bench: round $r $v: tcp $(gbps "$v$r" tcp) Gbit/s, tcp-rx $(gbps "$v$r" tcprx) Gbit/s," \
			"udp64 $(pps "$v$r") pps"
		for t in "$(gbps "$v$r" tcp)" "$(gbps "$v$r" tcprx)" "$(pps "$v$r")"; do
			if [ -z "$t" ]; then
				grep -a 'bench-net' "$tmp/$v$r.out" >&2
				bench_fail "virtio-net: round $r $v: a result is missing"
			fi
		done
	done
done

metric() {
	local name=$1 fn=$2 test=${3:-} r v
	rm -f "$tmp/m-ours" "$tmp/m-qemu"
	for r in $(seq "$rounds"); do
		for v in ours qemu; do bench_record "$tmp/m-$v" "$($fn "$v$r" $test)"; done
	done
	bench_metric "$name" "$tmp/m-ours" "$tmp/m-qemu"
}
bench_redos
metric virtio_net_tcp_gbps gbps tcp
metric virtio_net_tcp_rx_gbps gbps tcprx
metric virtio_net_udp64_pps pps
