#!/bin/bash
# A 4-vCPU, 3G guest: its RAM lies below the PCI hole (2 GiB) and above 4
# GiB. The kernel sees all CPUs and all memory, and a memtest pass over 1
# GiB (a pattern written and read back, twice) finds no error.
# lab: timeout=900
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-guest.sh"

memtest=$(lab_helper memtest)
guest_initrd "$TMPDIR/initrd.img" --file "$memtest:/bin/memtest"
guest_start large --kernel "$LAB_BZIMAGE" --initrd "$TMPDIR/initrd.img" --cpus 4 --memory 3G \
	--append "console=ttyS0 panic=-1 quiet"
guest_wait large '^guest: ready' 1
assert_eq "large: online CPUs" 0-3 "$(guest_value large online)"
ram=$(guest_value large ram-kib)
assert_ge "large: RAM the kernel found (KiB, >= 95% of 3G)" $((3 * 1024 * 1024 * 95 / 100)) "$ram"
assert_ge "large: RAM the kernel found (KiB, <= 3G)" "$ram" $((3 * 1024 * 1024))
assert_ge "large: MemTotal (KiB, >= 90% of 3G)" $((3 * 1024 * 1024 * 90 / 100)) "$(guest_value large memtotal-kib)"
guest_check_dmesg large
# The e820 map the kernel printed has RAM on both sides of the hole.
guest_send "/usr/bin/dmesg | grep -E 'BIOS-e820: \\[mem 0x0000000100000000-0x000000013fffffff\\] usable' | wc -l"
guest_wait large '^1$' 1 60
echo "ok: large: RAM above 4 GiB in the guest's e820"
guest_send "/bin/memtest 1024"
guest_wait large '^memtest: ' 1 600
assert_contains "large: memtest over 1 GiB" "memtest: 1024 MiB ok" "$(grep '^memtest: ' "$GUEST_LOG")"
guest_send "poweroff -f"
guest_end
assert_eq "partvm status after poweroff -f" 0 "$GUEST_STATUS"
