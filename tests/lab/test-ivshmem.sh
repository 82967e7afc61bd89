#!/bin/bash
# IVSHMEM: Debian's guest finds the device (1af4:1110, RAM memory, subsystem
# 1af4:1100, revision 1) with a 4 MiB 64-bit prefetchable BAR2; partvm made
# the host file with mode 0660 and grew it to 4 MiB; what the guest writes
# through resource2 (at a page inside and at the very end) is in the host
# file, and what the host writes into the file the guest reads back;
# BAR0's registers read as the spec says; the control socket shows BAR2
# where the guest's kernel put it; the file keeps the guest's bytes after
# the guest is gone. A second partvm with a size that is not a power of two
# is refused in one line, exit status 2, and makes no file.
# lab: timeout=600
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-guest.sh"

SHM=$TMPDIR/ivshmem.shm
SIZE=$((4 << 20))

cleanup() {
	lab_kill -9 "${GUEST_PID:-}"
}
trap cleanup EXIT

# file_hex OFFSET LEN: the host file's bytes there, in hex.
file_hex() {
	lab_file_hex "$SHM" "$1" "$2"
}

bar_mem=$(lab_helper bar-mem)
bar_reg=$(lab_helper bar-reg)
guest_initrd "$TMPDIR/initrd.img" --bin "$bar_mem" --bin "$bar_reg"

cat >"$TMPDIR/iv.conf" <<CONF
[partition]
name = iv
memory = 256M
[boot]
kernel = $LAB_BZIMAGE
initrd = $TMPDIR/initrd.img
cmdline = console=ttyS0 panic=-1 quiet
[ivshmem]
path = $SHM
size = 4M
CONF
rm -f "$SHM"
guest_start iv "$TMPDIR/iv.conf"
guest_wait iv '^guest: ready' 1
assert_match "iv: ivshmem in lspci" \
	'RAM memory \[0500\]: Red Hat, Inc. Inter-VM shared memory \[1af4:1110\] \(rev 01\)' \
	"$(grep '^guest-lspci: ' "$GUEST_LOG" | tr -d '\r')"
# Made by partvm: its mode (the umask does not apply) and the size.
assert_eq "iv: the host file's mode and size" "660 $SIZE" "$(stat -c '%a %s' "$SHM")"

# The device in sysfs, its IDs, and BAR2: 4 MiB, 64-bit prefetchable
# memory (the resource flags' IORESOURCE_MEM_64 and PREFETCH).
guest_send 'for d in /sys/bus/pci/devices/*; do [ "$(cat $d/vendor):$(cat $d/device)" = 0x1af4:0x1110 ] && echo "guest: bdf ${d##*/}"; done; echo "guest: scan-done"'
guest_wait iv '^guest: scan-done' 1 60
BDF=$(guest_value iv bdf)
assert_match "iv: the device's address in the guest" '^0000:00:[0-9a-f]{2}\.0$' "$BDF"
D=/sys/bus/pci/devices/$BDF
guest_send "echo \"guest: ids \$(cat $D/subsystem_vendor):\$(cat $D/subsystem_device) \$(cat $D/class) \$(cat $D/revision)\""
guest_wait iv '^guest: ids' 1 60
assert_eq "iv: subsystem, class, revision" "0x1af4:0x1100 0x050000 0x01" "$(guest_value iv ids)"
guest_send "set -- \$(sed -n 3p $D/resource); echo \"guest: bar2 \$1 \$((\$2 - \$1 + 1)) \$((\$3 & 0x102000))\""
guest_wait iv '^guest: bar2' 1 60
read -r bar2 bar2_size bar2_flags <<<"$(guest_value iv bar2)"
assert_eq "iv: BAR2's size in the guest" "$SIZE" "$bar2_size"
assert_eq "iv: BAR2 is 64-bit and prefetchable (IORESOURCE_MEM_64 | PREFETCH)" $((0x102000)) "$bar2_flags"

guest_send "echo 1 >$D/enable; echo \"guest: enabled \$(cat $D/enable)\""
guest_wait iv '^guest: enabled' 1 60
assert_eq "iv: enabled in the guest" 1 "$(guest_value iv enabled)"
# The control socket: BAR2 is decoded where the guest's kernel put it.
assert_eq "iv: BAR2's address (control socket)" "$(printf '0x%x' "$bar2")" \
	"$("$PARTVM" ctl iv status --json | jq -r '.devices[] | select(.type == "ivshmem") | .["guest-address"]')"

# BAR0: Interrupt Mask keeps a write, IVPosition reads 0 (no interrupts).
guest_send "echo \"guest: mask \$($bar_reg $BDF 0 0x12345678) ivposition \$($bar_reg $BDF 8)\""
guest_wait iv '^guest: mask' 1 60
assert_eq "iv: BAR0 registers" "0x12345678 ivposition 0x00000000" "$(guest_value iv mask)"

# Guest to host: a page inside and the last 32 bytes of BAR2.
in_guest="partvm-ivshmem-guest-$$-$RANDOM"
at_end="partvm-ivshmem-end-0123456789abc"
end=$((SIZE - ${#at_end}))
guest_send "$bar_mem $BDF 2 0x1000 write $(lab_hex "$in_guest") && $bar_mem $BDF 2 $end write $(lab_hex "$at_end"); echo \"guest: wrote \$?\""
guest_wait iv '^guest: wrote' 1 60
assert_eq "iv: bar-mem's status after the guest's writes" 0 "$(guest_value iv wrote)"
assert_eq "guest to host: the bytes at 0x1000 of the file" "$(lab_hex "$in_guest")" \
	"$(file_hex $((0x1000)) ${#in_guest})"
assert_eq "guest to host: the file's last bytes" "$(lab_hex "$at_end")" "$(file_hex "$end" ${#at_end})"

# Host to guest: into the file at 0x2000 and at 0, read in the guest.
from_host="partvm-ivshmem-host-$$-$RANDOM"
printf '%s' "$from_host" | dd of="$SHM" bs=1 seek=$((0x2000)) conv=notrunc status=none
printf '%s' "$from_host" | dd of="$SHM" bs=1 seek=0 conv=notrunc status=none
# (Not "guest: read...": guest: ready would match.)
guest_send "echo \"guest: host-bytes \$($bar_mem $BDF 2 0x2000 read ${#from_host}) \$($bar_mem $BDF 2 0 read ${#from_host})\""
guest_wait iv '^guest: host-bytes' 1 60
assert_eq "host to guest: the file's bytes through BAR2" "$(lab_hex "$from_host") $(lab_hex "$from_host")" \
	"$(guest_value iv host-bytes)"

# A second partition with a size that is not a power of two: refused in
# one line before anything starts, no file made.
set +e
"$PARTVM" run --name iv-bad --kernel "$LAB_BZIMAGE" --memory 256M \
	--ivshmem "path=$TMPDIR/bad.shm,size=3M" </dev/null >"$TMPDIR/bad.out" 2>"$TMPDIR/bad.err"
st=$?
set -e
sed 's/^/    | /' "$TMPDIR/bad.err"
assert_eq "a size of 3M exits 2" 2 "$st"
assert_eq "one line of refusal" 1 "$(wc -l <"$TMPDIR/bad.err")"
assert_contains "the refusal says why" "size=3M: must be a power of two" "$(cat "$TMPDIR/bad.err")"
[ ! -e "$TMPDIR/bad.shm" ] || lab_fail "the refused partition made $TMPDIR/bad.shm"
echo "ok: the refused partition made no file"

guest_check_dmesg iv
guest_send "poweroff -f"
guest_end
assert_eq "iv: partvm status after poweroff -f" 0 "$GUEST_STATUS"
# The file outlives the guest, with what it wrote.
assert_eq "the file after the guest: the guest's bytes" "$(lab_hex "$in_guest")" \
	"$(file_hex $((0x1000)) ${#in_guest})"
assert_eq "the file after the guest: its size" "$SIZE" "$(stat -c %s "$SHM")"
echo "PASS: IVSHMEM shared both ways between Debian's guest and the host file"
