#!/bin/bash
# An 82576 VF taken from an [sriov] pool by partvm (MAC and VLAN 0 set on
# the PF over netlink) and passed through: in the guest igbvf binds it with
# MSI-X, learns the pool's MAC from the PF over the mailbox, and pings the
# PF's address through the VF; meanwhile the PF reports the pool's MAC for
# the VF; afterwards the VF is neutral, back on its driver, out of the pool.
#
# The lab host boots with every BAR below 4 GiB (tests/lab/run,
# LAB_LOW_BARS): elsewhere QEMU 10.0.2's VFs read zeros and igbvf says "PF
# still in reset state". As a control the lab host's own igbvf first gets
# a MAC set on another VF, on bare metal.
# lab: low-bars timeout=1500
. "$(dirname "$0")/vfio-lib.sh"

PF=$(lab_pci_find 8086:10c9)
[ -n "$PF" ] || lab_fail "no igb PF (8086:10c9) in the lab"
PFSYS=/sys/bus/pci/devices/$PF
PFDEV=$(ls "$PFSYS/net")
MAC=02:00:00:00:aa:01
cleanup() {
	"$PARTVM" vfio restore --all --force >/dev/null 2>&1 || true
	ip addr flush dev "$PFDEV" || true
	echo 0 >"$PFSYS/sriov_numvfs" || true
	echo 1 >"$PFSYS/sriov_drivers_autoprobe" || true
	ip link set "$PFDEV" down || true
}
trap cleanup EXIT

# The PF is up before its VFs exist, and no host driver touches the VFs,
# which is how VFs meant for guests are set up (host.conf's vfio = ...).
ip link set "$PFDEV" up
ip addr add 192.0.2.1/24 dev "$PFDEV"
out=$("$PARTVM" sriov create "$PFDEV" 2 --no-autoprobe)
assert_eq "sriov create" "$PFDEV: 2 VFs (was 0)" "$out"
for _ in $(seq 100); do [ "$(cat "/sys/class/net/$PFDEV/carrier")" = 1 ] && break; sleep 0.2; done
VF0=$(basename "$(readlink "$PFSYS/virtfn0")")
VF1=$(basename "$(readlink "$PFSYS/virtfn1")")

# The control: igbvf on the lab host itself, VF 1 with a MAC set.
ip link set "$PFDEV" vf 1 mac 02:00:00:00:bb:01
echo igbvf >"/sys/bus/pci/devices/$VF1/driver_override"
echo "$VF1" >/sys/bus/pci/drivers_probe
for _ in $(seq 100); do [ -n "$(ls "/sys/bus/pci/devices/$VF1/net" 2>/dev/null)" ] && break; sleep 0.2; done
host_mac=$(cat "/sys/bus/pci/devices/$VF1/net/"*/address)
echo "lab host, VF 1 on igbvf with MAC 02:00:00:00:bb:01 set: interface MAC $host_mac"
dmesg | grep "igbvf $VF1" | tail -n 6 | sed 's/^/  host dmesg: /'
[ "$host_mac" = 02:00:00:00:bb:01 ] ||
	lab_fail "the lab host's own igbvf did not get VF 1's MAC: the lab's VFs do not answer (run this test with LAB_LOW_BARS=1; run-all does, from its header)"
echo "$VF1" >/sys/bus/pci/drivers/igbvf/unbind
echo >"/sys/bus/pci/devices/$VF1/driver_override"

cat >"$TMPDIR/vfnet.conf" <<EOC
[partition]
name = vfnet

[sriov "net"]
pf = $PFDEV
mac = $MAC
vlan = 0
EOC
lab_guest_initrd "$TMPDIR/initrd" "$LAB_DIR/vfio-guest-vf.sh" igbvf

# In the background, so that the PF's view can be read while the guest runs.
t0=$SECONDS
"$PARTVM" run "$TMPDIR/vfnet.conf" --kernel "$LAB_BZIMAGE" --initrd "$TMPDIR/initrd" -m 256M \
	--append 'console=ttyS0 quiet vf_ping=192.0.2.2/24,192.0.2.1 vf_hold=20' \
	</dev/null >"$TMPDIR/out" 2>&1 &
pid=$!
for _ in $(seq 600); do
	grep -q "guest: vf holding" "$TMPDIR/out" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.5
done
pf_vf0=$(ip -j -d link show dev "$PFDEV" | jq -c '.[0].vfinfo_list[] | select(.vf == 0) | {address, vlan: (.vlan_list[0].vlan // 0)}')
held=$("$PARTVM" sriov list --json | jq -r --arg b "$VF0" '.[] | .vfs[] | select(.bdf == $b) | .partition')
vf0_driver=$(driver_of "$VF0")
status=0
wait "$pid" || status=$?
sed 's/^/  | /' "$TMPDIR/out"
echo "partvm ran $((SECONDS - t0)) s, exit status $status"

assert_eq "partvm exit status (guest powered off)" 0 "$status"
assert_eq "VF 0 on the host while the guest ran" vfio-pci "$vf0_driver"
assert_eq "the PF's view of VF 0 while the guest ran" "{\"address\":\"$MAC\",\"vlan\":0}" "$pf_vf0"
assert_eq "pool holder of VF 0 while the guest ran" vfnet "$held"
line=$(guest_line "$TMPDIR/out" "guest: vf at")
assert_match "guest's igbvf" "^guest: vf at 0000:00:0[0-9a-f].0, driver igbvf, interface eth[0-9]+, mac " "$line"
assert_match "guest's VF interrupts" "^guest: vf interrupt mode msix with 3 vectors" \
	"$(guest_line "$TMPDIR/out" "guest: vf interrupt mode")"
assert_eq "the pool's MAC in the guest, from the PF over the mailbox" "$MAC" "${line##* }"
# Carrier only: operstate follows it a moment later (the kernel's
# linkwatch), and the ping below needs the link anyway.
assert_match "the VF's link in the guest" "^guest: vf link up: carrier 1 " \
	"$(guest_line "$TMPDIR/out" "guest: vf link up")"
assert_eq "the guest's ping of the PF through the VF" "guest: vf ping 192.0.2.1: ok" \
	"$(guest_line "$TMPDIR/out" "guest: vf ping")"

vf0=$(ip -j -d link show dev "$PFDEV" | jq -c '.[0].vfinfo_list[] | select(.vf == 0) | {address, vlan: (.vlan_list[0].vlan // 0), trust, spoofchk}')
assert_eq "VF 0 after partvm (neutral)" '{"address":"00:00:00:00:00:00","vlan":0,"trust":false,"spoofchk":true}' "$vf0"
assert_restored "$VF0" ""
[ ! -e "/run/partvm/sriov/$VF0" ] || lab_fail "the pool still records $VF0"
echo "ok: VF 0 is back in the pool"
echo "PASS: igb VF passthrough"
