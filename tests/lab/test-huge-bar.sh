#!/bin/bash
# Huge BARs: the 64-bit PCI window is sized from the devices' BARs, within
# the guest's physical address bits. Debian's guest gets two IVSHMEM
# devices, one with a 16 GiB BAR2 (a GPU's size) and one with 128 GiB
# (beyond the 64 GiB window partvm used to declare whatever the devices):
# the kernel keeps both where partvm put them (naturally aligned, inside
# the root bus window the DSDT declares, which grew to 512 GiB), and the
# last bytes of each BAR reach the host file. A 1 TiB BAR, which cannot
# fit below the lab CPU's physical address limit, is refused in one line
# with the numbers, and the file partvm made for it is gone again.
# lab: timeout=600
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-guest.sh"

cleanup() {
	lab_kill -9 "${GUEST_PID:-}"
}
trap cleanup EXIT

bar_mem=$(lab_helper bar-mem)
guest_initrd "$TMPDIR/initrd.img" --bin "$bar_mem"

G=$((1 << 30))
cat >"$TMPDIR/huge.conf" <<CONF
[partition]
name = huge
memory = 256M
[boot]
kernel = $LAB_BZIMAGE
initrd = $TMPDIR/initrd.img
cmdline = console=ttyS0 panic=-1 quiet
[ivshmem]
path = $TMPDIR/bar16g.shm
size = 16G
[ivshmem]
path = $TMPDIR/bar128g.shm
size = 128G
CONF
guest_start huge "$TMPDIR/huge.conf"
guest_wait huge '^guest: ready' 1
# Sparse files: the host holds only what is written.
assert_eq "the host files' sizes" "$((16 * G)) $((128 * G))" \
	"$(stat -c %s "$TMPDIR/bar16g.shm" "$TMPDIR/bar128g.shm" | xargs)"

# Each device's address and BAR2 (start, size) as the guest's kernel has it.
guest_send 'for d in /sys/bus/pci/devices/*; do [ "$(cat $d/vendor):$(cat $d/device)" = 0x1af4:0x1110 ] && set -- $(sed -n 3p $d/resource) && echo "guest: bar2 ${d##*/} $(($1)) $(($2 - $1 + 1))"; done; echo "guest: scan-done"'
guest_wait huge '^guest: scan-done' 1 60
declare -A bdf_of start_of
while read -r bdf start size; do
	bdf_of[$size]=$bdf start_of[$size]=$start
done < <(guest_lines "$GUEST_LOG" | sed -n 's/^guest: bar2 //p')
for size in $((16 * G)) $((128 * G)); do
	[ -n "${bdf_of[$size]:-}" ] || lab_fail "no IVSHMEM device with a BAR2 of $((size / G)) GiB in the guest: $(guest_lines "$GUEST_LOG" | grep '^guest: bar2' | xargs)"
	assert_eq "BAR2 of $((size / G)) GiB naturally aligned" 0 $((start_of[$size] % size))
done
echo "ok: the guest's BAR2s: 16 GiB at $(printf 0x%x "${start_of[$((16 * G))]}"), 128 GiB at $(printf 0x%x "${start_of[$((128 * G))]}")"
assert_eq "the 128 GiB BAR above the 16 GiB one, where partvm put it" $((128 * G)) "${start_of[$((128 * G))]}"

# The root bus window the DSDT declares: from 64 GiB, twice what the BARs
# take (192 GiB) rounded up to a power of two.
guest_send 'echo "guest: window $(dmesg | grep -o "root bus resource \[mem 0x[0-9a-f]*-0x[0-9a-f]* window\]" | tail -n1)"'
guest_wait huge '^guest: window' 1 60
assert_eq "the 64-bit root bus window in the guest" \
	"root bus resource [mem 0x1000000000-0x8fffffffff window]" "$(guest_value huge window)"

# The last bytes of each BAR, written by the guest, are in its host file.
for size in $((16 * G)) $((128 * G)); do
	mark="partvm-huge-bar-$((size / G))g-$RANDOM"
	off=$((size - ${#mark}))
	guest_send "echo 1 >/sys/bus/pci/devices/${bdf_of[$size]}/enable; $bar_mem ${bdf_of[$size]} 2 $off write $(lab_hex "$mark"); echo \"guest: wrote-$((size / G)) \$?\""
	guest_wait huge "^guest: wrote-$((size / G)) " 1 60
	assert_eq "bar-mem's status at the end of the $((size / G)) GiB BAR" 0 "$(guest_value huge "wrote-$((size / G))")"
	shm=$TMPDIR/bar$((size / G))g.shm
	assert_eq "guest to host: the last bytes of the $((size / G)) GiB BAR" "$(lab_hex "$mark")" \
		"$(lab_file_hex "$shm" "$off" ${#mark})"
done
# The control socket agrees on where they are.
assert_eq "the BARs' guest addresses (control socket)" \
	"$(printf '0x%x 0x%x' "${start_of[$((16 * G))]}" "${start_of[$((128 * G))]}")" \
	"$("$PARTVM" ctl huge status --json | jq -r '[.devices[] | select(.type == "ivshmem") | .["guest-address"]] | join(" ")')"
guest_check_dmesg huge
guest_send "poweroff -f"
guest_end
assert_eq "huge: partvm status after poweroff -f" 0 "$GUEST_STATUS"

# A BAR the guest's physical address bits cannot reach: refused with the
# numbers, nothing left behind.
bits=$(sed -n 's/^address sizes\t*: \([0-9]*\) bits physical.*/\1/p' /proc/cpuinfo | head -n1)
assert_match "the lab CPU's physical address bits" '^[0-9]+$' "$bits"
set +e
"$PARTVM" run --name huge-bad --kernel "$LAB_BZIMAGE" --memory 256M \
	--ivshmem "path=$TMPDIR/bar1t.shm,size=1T" </dev/null >"$TMPDIR/bad.out" 2>"$TMPDIR/bad.err"
st=$?
set -e
sed 's/^/    | /' "$TMPDIR/bad.err"
assert_eq "a 1 TiB BAR with $bits address bits: exit status" 1 "$st"
assert_eq "one line of refusal (besides the notice about the 'partvm' user)" 1 \
	"$(grep -v "no 'partvm' user" "$TMPDIR/bad.err" | grep -c .)"
assert_contains "the refusal names the BAR and the window" \
	"ivshmem0: its BARs (BAR0 256 bytes, BAR2 1 TiB 64-bit) do not fit in the guest's MMIO windows" \
	"$(cat "$TMPDIR/bad.err")"
assert_contains "the refusal names the address limit" \
	"up to $(printf 0x%x $((1 << bits))) ($bits physical address bits)" "$(cat "$TMPDIR/bad.err")"
[ ! -e "$TMPDIR/bar1t.shm" ] || lab_fail "the refused partition left $TMPDIR/bar1t.shm"
echo "ok: the refused partition left no file"
echo "PASS: BARs of 16 and 128 GiB in one guest, the window sized to them; 1 TiB refused"
