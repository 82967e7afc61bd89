#!/bin/bash
# partvm boots Debian's bzImage (Linux boot protocol, 64-bit entry) with 2
# vCPUs and 512M to a test init: both CPUs online, the RAM it was given,
# no ACPI/PCI/IRQ/clock complaints, the host bridge in lspci; `reboot -f`
# boots it a second time, `poweroff -f` ends partvm with 0, and with
# --no-reboot a reboot ends partvm with 0.
# lab: timeout=900
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-guest.sh"

guest_initrd "$TMPDIR/initrd.img"
args=(--kernel "$LAB_BZIMAGE" --initrd "$TMPDIR/initrd.img" --cpus 2 --memory 512M
	--append "console=ttyS0 panic=-1 quiet")

# check_boot NAME: the guest's report after one boot.
check_boot() {
	assert_eq "$1: online CPUs" 0-1 "$(guest_value "$1" online)"
	# The kernel counts all 512 MiB but the EBDA/BIOS area (0.4 MiB).
	ram=$(guest_value "$1" ram-kib)
	assert_ge "$1: RAM the kernel found (KiB, >= 95% of 512M)" $((512 * 1024 * 95 / 100)) "$ram"
	assert_ge "$1: RAM the kernel found (KiB, <= 512M)" "$ram" $((512 * 1024))
	# MemTotal leaves out what the kernel itself occupies: Debian's 6.1
	# kernel takes ~55 MiB of a 512M guest under any VMM (QEMU -M microvm
	# in this lab: MemTotal 468288 kB; partvm: 468300 kB).
	assert_ge "$1: MemTotal (KiB)" $((512 * 1024 * 88 / 100)) "$(guest_value "$1" memtotal-kib)"
	assert_match "$1: host bridge in lspci" '00:00\.0 Host bridge \[0600\]: .*\[1b36:0008\]' \
		"$(grep '^guest-lspci: ' "$TMPDIR/$1.log")"
	guest_check_dmesg "$1"
}

guest_start boot "${args[@]}"
guest_wait boot '^guest: ready' 1
check_boot boot
# Through the 64-bit boot protocol the kernel keeps the boot_params partvm
# wrote: the image's own protocol version (setup header, 0x206) and loader
# type 0xff (undefined); test-boot-pvh.sh sees the PVH entry's instead.
guest_boot_params boot
assert_eq "boot: boot protocol version = the bzImage's" \
	"$(printf '0x%04x' "$(od -An -tu2 -j 518 -N2 "$LAB_BZIMAGE" | tr -d ' ')")" "$(guest_value boot bp-version)"
assert_eq "boot: loader type = partvm's 0xff" ff "$(guest_value boot bp-loader)"
guest_send "reboot -f"
guest_wait boot '^guest: ready' 2
echo "ok: reboot -f booted the guest a second time"
guest_send "poweroff -f"
guest_end
assert_eq "partvm status after poweroff -f" 0 "$GUEST_STATUS"
assert_eq "guest reports (two boots)" 2 "$(grep -c '^guest: ready' "$GUEST_LOG" || true)"

guest_start noreboot "${args[@]}" --no-reboot
guest_wait noreboot '^guest: ready' 1
guest_send "reboot -f"
guest_end
assert_eq "partvm status after reboot -f with --no-reboot" 0 "$GUEST_STATUS"
assert_contains "--no-reboot message" "guest asked for a reboot; exiting (--no-reboot)" "$(cat "$GUEST_LOG")"
assert_eq "guest reports with --no-reboot (one boot)" 1 "$(grep -c '^guest: ready' "$GUEST_LOG" || true)"
