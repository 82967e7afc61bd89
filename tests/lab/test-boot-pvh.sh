#!/bin/bash
# partvm boots Debian's kernel through PVH: the ELF vmlinux extracted from
# the bzImage (CONFIG_PVH=y, XEN_ELFNOTE_PHYS32_ENTRY), entered in 32-bit
# protected mode with hvm_start_info. The same checks as the bzImage boot.
# lab: timeout=900
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-guest.sh"

assert_eq "vmlinux is an ELF" $'\x7fELF' "$(head -c 4 "$LAB_VMLINUX")"
guest_initrd "$TMPDIR/initrd.img"
guest_start pvh --kernel "$LAB_VMLINUX" --initrd "$TMPDIR/initrd.img" --cpus 2 --memory 512M \
	--append "console=ttyS0 panic=-1 quiet"
guest_wait pvh '^guest: ready' 1
assert_eq "pvh: online CPUs" 0-1 "$(guest_value pvh online)"
ram=$(guest_value pvh ram-kib)
assert_ge "pvh: RAM the kernel found (KiB, >= 95% of 512M)" $((512 * 1024 * 95 / 100)) "$ram"
assert_ge "pvh: RAM the kernel found (KiB, <= 512M)" "$ram" $((512 * 1024))
assert_ge "pvh: MemTotal (KiB)" $((512 * 1024 * 88 / 100)) "$(guest_value pvh memtotal-kib)"
assert_match "pvh: host bridge in lspci" '00:00\.0 Host bridge \[0600\]: .*\[1b36:0008\]' \
	"$(grep '^guest-lspci: ' "$TMPDIR/pvh.log")"
guest_check_dmesg pvh
# The kernel entered through its PVH entry point: then it builds its own
# boot_params (init_pvh_bootparams: protocol version 2.12, loader type
# 0xb0), where a bzImage boot keeps what partvm wrote (the image's own
# version, loader 0xff; test-boot-bzimage.sh checks that side).
guest_boot_params pvh
assert_eq "pvh: boot protocol version in the kernel's boot_params (PVH entry's 2.12)" 0x020c \
	"$(guest_value pvh bp-version)"
assert_eq "pvh: loader type in the kernel's boot_params (PVH entry's 0xb0)" b0 "$(guest_value pvh bp-loader)"
guest_send "reboot -f"
guest_wait pvh '^guest: ready' 2
echo "ok: reboot -f booted the PVH guest a second time"
guest_send "poweroff -f"
guest_end
assert_eq "partvm status after poweroff -f" 0 "$GUEST_STATUS"
