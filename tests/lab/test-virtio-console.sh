#!/bin/bash
# virtio-console: with --console virtio, partvm's stdin and stdout are the
# guest's hvc0 (the UART stays for early messages). A login shell on hvc0
# runs what is typed on partvm's stdin and its output comes back on
# partvm's stdout; the kernel's console=hvc0 messages too.
# lab: timeout=600
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-guest.sh"

cat >"$TMPDIR/hvc.sh" <<'SCRIPT'
#!/bin/sh
for i in $(seq 50); do [ -e /dev/hvc0 ] && break; sleep 0.1; done
echo "guest: hvc0 $(ls /sys/bus/virtio/drivers/virtio_console | grep '^virtio') $(cat /sys/class/tty/hvc0/dev)"
setsid sh -c 'exec /bin/sh -l </dev/hvc0 >/dev/hvc0 2>&1' &
echo "guest: ready"
while :; do sleep 1000; done
SCRIPT
chmod +x "$TMPDIR/hvc.sh"
lab_guest_initrd "$TMPDIR/initrd.img" "$TMPDIR/hvc.sh" virtio_pci virtio_console >/dev/null
guest_start hvc --kernel "$LAB_BZIMAGE" --initrd "$TMPDIR/initrd.img" --memory 256M \
	--append "console=ttyS0 console=hvc0 panic=-1" --console virtio
guest_wait hvc '^guest: ready' 1
assert_match "hvc0, with virtio_console bound to the device" '^virtio[0-9]+ 229:0$' "$(guest_value hvc hvc0)"
# Typed on partvm's stdin: it reaches the shell on hvc0, the output comes
# back on partvm's stdout.
guest_send 'echo hvc-says-$((6*7)) $(tty)'
guest_wait hvc '^hvc-says-42 /dev/hvc0' 1 120
echo "ok: a shell on hvc0 ran what was typed on partvm's stdin: $(tr -d '\r' <"$GUEST_LOG" | grep '^hvc-says-42')"
# 8 KiB in one go (more than a ring of small buffers) arrives whole.
guest_send 'head -c 8192 /dev/zero | tr "\0" x | wc -c | sed "s/^/hvc-bytes-/"'
guest_wait hvc '^hvc-bytes-8192' 1 120
echo "ok: 8192 bytes of output through hvc0"
guest_send "poweroff -f"
guest_end
assert_eq "partvm status after poweroff -f through hvc0" 0 "$GUEST_STATUS"
