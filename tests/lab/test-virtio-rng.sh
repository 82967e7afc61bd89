#!/bin/bash
# virtio-rng: Debian's virtio_rng driver binds the device (1af4:1044), it
# becomes the guest's current hwrng, and /dev/hwrng gives random bytes;
# with rate = 4K a read of 16 KiB takes about 3 s (the bucket starts full).
# lab: timeout=600
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-guest.sh"

guest_initrd "$TMPDIR/initrd.img" --bin /usr/bin/od -- virtio_pci virtio_rng
guest_start rng --kernel "$LAB_BZIMAGE" --initrd "$TMPDIR/initrd.img" --cpus 1 --memory 256M \
	--append "console=ttyS0 panic=-1 quiet" --rng on
guest_wait rng '^guest: ready' 1
assert_match "rng: virtio-rng in lspci" 'Unclassified device \[00ff\]: Red Hat, Inc. Virtio 1.0 RNG \[1af4:1044\]' \
	"$(grep '^guest-lspci: ' "$GUEST_LOG" | tr -d '\r')"
guest_send 'echo "guest: rng-current $(cat /sys/class/misc/hw_random/rng_current)"'
guest_wait rng '^guest: rng-current' 1 60
assert_match "rng: the guest's current hwrng" '^virtio_rng' "$(guest_value rng rng-current)"
guest_send 'echo "guest: hwrng-bytes $(dd if=/dev/hwrng bs=4096 count=4 2>/dev/null | wc -c)"'
guest_wait rng '^guest: hwrng-bytes' 1 60
assert_eq "rng: bytes read from /dev/hwrng" 16384 "$(guest_value rng hwrng-bytes)"
# Random, not zeros: 16 KiB of zeros would be one od line and a '*'.
guest_send 'echo "guest: distinct-lines $(dd if=/dev/hwrng bs=4096 count=1 2>/dev/null | /usr/bin/od -An -tx1 | sort -u | wc -l)"'
guest_wait rng '^guest: distinct-lines' 1 60
assert_ge "rng: distinct 16-byte lines in 4 KiB of /dev/hwrng" 250 "$(guest_value rng distinct-lines)"
# Its interrupts come as MSI (the MSI-X vectors through KVM irqfds), not
# the INTx line: "25: 322 PCI-MSI 16385-edge virtio0-input".
guest_send 'echo "guest: msi-input $(awk '"'"'/PCI-MSI.*virtio0-input/ {print $2}'"'"' /proc/interrupts)"'
guest_wait rng '^guest: msi-input' 1 60
assert_ge "rng: MSI interrupts of virtio0-input" 1 "$(guest_value rng msi-input)"
# Its doorbell is an I/O port: the driver claims for virtio-pci-modern only
# the BARs of the capabilities it uses, and its one I/O BAR (BAR2) holds
# nothing but the doorbells ("c000-c003 : virtio-pci-modern", nested under
# the device in /proc/ioports).
guest_send 'grep -B1 virtio-pci-modern /proc/ioports | sed "s/^/guest-ioports: /"; echo "guest: pio-doorbell $(grep -c virtio-pci-modern /proc/ioports)"'
guest_wait rng '^guest: pio-doorbell' 1 60
guest_lines "$GUEST_LOG" | grep '^guest-ioports: ' | sed 's/^/    /' || true
assert_eq "rng: the driver took BAR2, the I/O-port doorbells" 1 "$(guest_value rng pio-doorbell)"
guest_check_dmesg rng
guest_send "poweroff -f"
guest_end
assert_eq "partvm status after poweroff -f" 0 "$GUEST_STATUS"

# A rate from the config file: 4 KiB a second, the bucket starts full, so
# 16 KiB take about 3 s (the guest's hwrng reads in small chunks).
cat >"$TMPDIR/rng.conf" <<CONF
[partition]
name = rng-rate
memory = 256M
[boot]
kernel = $LAB_BZIMAGE
initrd = $TMPDIR/initrd.img
cmdline = console=ttyS0 panic=-1 quiet
[rng]
rate = 4K
CONF
guest_start rate "$TMPDIR/rng.conf"
guest_wait rate '^guest: ready' 1
guest_send 'a=$(cut -d" " -f1 /proc/uptime); n=$(dd if=/dev/hwrng bs=4096 count=4 iflag=fullblock 2>/dev/null | wc -c); b=$(cut -d" " -f1 /proc/uptime); echo "guest: rate-read $n $a $b"'
guest_wait rate '^guest: rate-read' 1 120
read -r n a b <<<"$(guest_value rate rate-read)"
assert_eq "rate: bytes read" 16384 "$n"
ms=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%d", (b - a) * 1000 }')
assert_ge "rate: ms to read 16 KiB at 4 KiB/s with a full bucket (>= 2500)" 2500 "$ms"
echo "ok: rate: 16 KiB in $ms ms"
guest_send "poweroff -f"
guest_end
assert_eq "partvm status after poweroff -f" 0 "$GUEST_STATUS"
