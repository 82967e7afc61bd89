#!/bin/bash
# virtio-net on a lab-host bridge: partvm creates a tap on a bridge that has
# an address; Debian's virtio_net driver binds the device (1af4:1041) with
# one queue pair a vCPU; the guest pings the lab host 100 times without a
# loss and moves 256 MiB over TCP each way with iperf3 (a Debian package,
# the same on both ends); first on the kernel's vhost-net data path, then
# with vhost = no through partvm's queue threads, and on vhost-net again
# with partvm running as nobody. The control socket names
# the path each time. After kill -9 of partvm the tap it created is gone,
# and the bridge has no port left.
# lab: timeout=1800
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-guest.sh"

BR=pvlabbr0 TAP=pvlab0 HOST_IP=10.0.77.1 GUEST_IP=10.0.77.2
iperf_pid=

cleanup() {
	lab_kill "$iperf_pid"
	lab_kill -9 "${GUEST_PID:-}"
	ip link del "$BR" 2>/dev/null || true
}
trap cleanup EXIT

modprobe tun
modprobe bridge
modprobe vhost_net
assert_exists "vhost-net device" /dev/vhost-net
ip link add "$BR" type bridge
ip addr add "$HOST_IP/24" dev "$BR"
ip link set "$BR" up
iperf3 -s -B "$HOST_IP" >"$TMPDIR/iperf3-server.log" 2>&1 &
iperf_pid=$!

guest_initrd "$TMPDIR/initrd.img" --bin /usr/bin/iperf3 -- virtio_pci virtio_net

# One guest: its NIC comes up with an address; ping; iperf3 both ways.
# $1: name, $2: vhost=yes|no, $3: the data path the control socket names,
# then more options for partvm run.
run_guest() {
	local name=$1 vhost=$2 path=$3 st line mb
	shift 3
	guest_start "$name" --name "$name" --kernel "$LAB_BZIMAGE" --initrd "$TMPDIR/initrd.img" \
		--cpus 2 --memory 512M --append "console=ttyS0 panic=-1 quiet" \
		--net "bridge=$BR,tap=$TAP,vhost=$vhost" "$@"
	guest_wait "$name" '^guest: ready' 1
	assert_match "$name: virtio-net in lspci" \
		'Ethernet controller \[0200\]: Red Hat, Inc. Virtio 1.0 network device \[1af4:1041\]' \
		"$(grep '^guest-lspci: ' "$GUEST_LOG" | tr -d '\r')"
	assert_eq "$name: the tap is on the bridge" "$BR" \
		"$(basename "$(readlink "/sys/class/net/$TAP/master")")"
	st=$("$PARTVM" ctl "$name" status --json)
	assert_eq "$name: data path (control socket)" "$path" \
		"$(jq -r '.devices[] | select(.type == "virtio-net") | ."data-path"' <<<"$st")"
	assert_eq "$name: queue pairs (one a vCPU)" 2 \
		"$(jq -r '.devices[] | select(.type == "virtio-net") | ."queue-pairs"' <<<"$st")"

	guest_send "ip link set eth0 up && ip addr add $GUEST_IP/24 dev eth0; echo \"guest: queues \$(ls /sys/class/net/eth0/queues | tr '\\n' ' ')\"; echo \"guest: mac \$(cat /sys/class/net/eth0/address)\""
	guest_wait "$name" '^guest: mac' 1 60
	assert_eq "$name: the guest uses both queue pairs" "rx-0 rx-1 tx-0 tx-1" \
		"$(guest_value "$name" queues | sed 's/ *$//')"
	assert_eq "$name: the MAC the control socket names" \
		"$(jq -r '.devices[] | select(.type == "virtio-net") | .mac' <<<"$st")" \
		"$(guest_value "$name" mac)"

	guest_send "ping -c 100 -i 0.02 -q $HOST_IP | sed -n 's/^\\([0-9]*\\) packets transmitted, \\([0-9]*\\) packets received.*/guest: ping \\1 \\2/p'; echo guest: ping-done"
	guest_wait "$name" '^guest: ping-done' 1 300
	assert_eq "$name: 100 pings, 100 replies" "100 100" "$(guest_value "$name" ping)"

	for dir in up down; do
		local flag= sent recv rate
		[ "$dir" = down ] && flag=-R
		guest_send "iperf3 -c $HOST_IP -n 256M -f m $flag 2>&1 | sed -n 's/.* \\([0-9.]*\\) MBytes *\\([0-9.]*\\) Mbits\\/sec.*\\(sender\\|receiver\\).*/guest: iperf-$dir-\\3 \\1 \\2/p'; echo guest: iperf-$dir-done"
		guest_wait "$name" "^guest: iperf-$dir-done" 1 900
		read -r sent _ <<<"$(guest_value "$name" "iperf-$dir-sender")"
		read -r recv rate <<<"$(guest_value "$name" "iperf-$dir-receiver")"
		[ -n "$sent" ] && [ -n "$recv" ] || lab_fail "$name: iperf3 $dir printed no sender and receiver lines"
		# iperf3 finished, so TCP delivered all the sender wrote; the
		# receiver's own count stops at the test's end and misses what
		# was still in flight then (seen on loopback too).
		assert_eq "$name: MiB sent, $dir" 256 "$sent"
		assert_ge "$name: MiB the receiver counted, $dir" 240 "${recv%.*}"
		echo "ok: $name: iperf3 $dir: 256 MiB at $rate Mbit/s (receiver)"
	done
	guest_send 'echo "guest: msi $(awk '"'"'/PCI-MSI.*virtio0-input.0/ {print $2 + $3}'"'"' /proc/interrupts)"'
	guest_wait "$name" '^guest: msi' 1 60
	assert_ge "$name: MSI-X interrupts of the first RX queue" 1 "$(guest_value "$name" msi)"
	guest_check_dmesg "$name"
}

run_guest net-vhost yes vhost-net
guest_send "poweroff -f"
guest_end
assert_eq "net-vhost: partvm status after poweroff -f" 0 "$GUEST_STATUS"
assert_run "net-vhost: the tap is gone after partvm" sh -c "! ip link show $TAP 2>/dev/null"

# As an unprivileged user once set up: the guest's switch to two queue
# pairs comes after partvm gave up root, and attaching the tap's second
# queue then needs the tap to be that user's (partvm gives it one it
# creates); a refusal would show in the guest's log.
run_guest net-nobody yes vhost-net --user nobody
guest_send "poweroff -f"
guest_end
assert_eq "net-nobody: partvm status after poweroff -f" 0 "$GUEST_STATUS"

run_guest net-user no userspace
# kill -9: the kernel deletes the tap with partvm's last fd on it.
kill -9 "$GUEST_PID"
wait "$GUEST_PID" 2>/dev/null || true
exec {GUEST_IN}>&-
assert_run "kill -9: the tap is gone" sh -c "! ip link show $TAP 2>/dev/null"
assert_eq "kill -9: the bridge has no port left" "" "$(ls "/sys/class/net/$BR/brif")"
