#!/bin/bash
# A display adapter passed through: the lab's bochs-display (1234:1111, a
# display controller with a 16 MiB framebuffer BAR and a register BAR,
# tests/lab/run adds it at 00:07.0) given to Debian's kernel under partvm.
# The guest's bochs DRM driver sets a mode through the device's registers
# and its fbdev emulation gives /dev/fb0; the guest draws a picture there
# in which every pixel differs (tests/lab/fb-pattern.c). What the lab's
# QEMU then shows on that adapter (its screendump, lib.sh's
# lab_screendump) must be that picture, pixel for pixel, at the size the
# guest set. Before the guest's driver loads, the same comparison fails
# (the adapter shows its idle screen), so the check can fail. Afterwards
# the device is back on its driver (none) with no record left.
# lab: timeout=600
set -euo pipefail
. "$(dirname "$0")/vfio-lib.sh"
. "$(dirname "$0")/linux-guest.sh"

D=$(lab_pci_find 1234:1111)
assert_eq "the lab's bochs-display (tests/lab/run adds it)" 0000:00:07.0 "$D"
before=$(driver_of "$D")
cleanup() {
	local st=$?
	if [ "$st" != 0 ] && [ -e "${GUEST_LOG:-}" ]; then
		echo "lab: the guest's console and partvm's log, last lines:"
		guest_lines "$GUEST_LOG" | tail -n 60 | sed 's/^/    | /'
	fi
	lab_kill -9 "${GUEST_PID:-}"
	# Should partvm not get to give it back itself, the next test shares the host.
	"$PARTVM" vfio restore --all --force >/dev/null 2>&1 || true
}
trap cleanup EXIT

# The adapter's own expansion ROM (QEMU's vgabios for it), as the lab
# host reads it: the guest must read the same bytes.
echo 1 >"/sys/bus/pci/devices/$D/enable"
echo 1 >"/sys/bus/pci/devices/$D/rom"
cat "/sys/bus/pci/devices/$D/rom" >"$TMPDIR/host.rom"
host_rom=$(sha256sum <"$TMPDIR/host.rom" | cut -d' ' -f1)
host_rom_size=$(wc -c <"$TMPDIR/host.rom")
echo 0 >"/sys/bus/pci/devices/$D/rom"
echo 0 >"/sys/bus/pci/devices/$D/enable"
echo "lab: the adapter's ROM on the lab host: $host_rom_size bytes, sha256 $host_rom"

fbp=$(lab_helper fb-pattern)
# bochs only put in: the first screendump is taken before it loads.
guest_initrd "$TMPDIR/initrd.img" --bin "$fbp" -- +bochs
guest_start disp --name disp --kernel "$LAB_BZIMAGE" --initrd "$TMPDIR/initrd.img" --memory 256M \
	--vfio "$D" --append "console=ttyS0 panic=-1 quiet"
guest_wait disp '^guest: ready' 1
assert_match "the adapter in the guest's lspci" '^guest-lspci: 00:[0-9a-f]{2}\.0 Display controller \[0380\]: .*\[1234:1111\]' \
	"$(guest_lines "$GUEST_LOG" | grep "^guest-lspci: .*1234:1111" || true)"

# Before the guest's driver loads (compared with the picture below).
lab_screendump "$TMPDIR/idle.ppm"
echo "lab: the idle screen: $(head -c 20 "$TMPDIR/idle.ppm" | head -n 2 | xargs)"

guest_send 'modprobe bochs; echo "guest: modprobe $?"; for i in $(seq 50); do [ -c /dev/fb0 ] && break; sleep 0.2; done; echo "guest: fb0 $(cat /sys/class/graphics/fb0/name 2>&1)"'
guest_wait disp '^guest: fb0 ' 1 120
assert_eq "modprobe bochs in the guest" 0 "$(guest_value disp modprobe)"
assert_eq "the guest's /dev/fb0 (bochs' DRM fbdev emulation)" bochs-drmdrmfb "$(guest_value disp fb0)"
guest_send 'echo "guest: driver $(basename $(readlink /sys/class/graphics/fb0/device/driver))"'
guest_wait disp '^guest: driver ' 1 60
assert_eq "the guest's driver of the adapter" bochs-drm "$(guest_value disp driver)"
assert_match "partvm's log: the adapter's own ROM" "^partvm: vfio $D .*; expansion ROM: the device's, [0-9]+ KiB\$" \
	"$(guest_lines "$GUEST_LOG" | grep "^partvm: vfio $D " || true)"
# With the driver's memory decoding on, the ROM reads as on the host.
guest_send 'r=$(readlink -f /sys/class/graphics/fb0/device)/rom; echo 1 >$r; cat $r >/rom.bin; echo 0 >$r; echo "guest: rom $(wc -c </rom.bin) $(sha256sum </rom.bin | cut -d" " -f1)"'
guest_wait disp '^guest: rom ' 1 60
assert_eq "the adapter's ROM in the guest (size, sha256)" "$host_rom_size $host_rom" "$(guest_value disp rom)"

# The console's text and cursor would draw over the picture: take the
# frame buffer console off it, then draw.
guest_send 'for v in /sys/class/vtconsole/vtcon*; do grep -q "frame buffer" $v/name && echo 0 >$v/bind; done; echo "guest: drawn $('"$fbp"' draw /dev/fb0)"; sleep 1; echo "guest: settled"'
guest_wait disp '^guest: settled' 1 120
size=$(guest_value disp drawn)
assert_match "the picture's size, as the guest's /dev/fb0 has it" '^[0-9]+x[0-9]+$' "$size"
lab_screendump "$TMPDIR/drawn.ppm"
assert_eq "the lab QEMU's screendump against the guest's picture at $size" match \
	"$("$fbp" check "$TMPDIR/drawn.ppm" "${size%x*}" "${size#*x}" || true)"

# The kernel's complaints since boot too (the init printed those at boot).
guest_send '/usr/bin/dmesg --level=err,warn --notime | sed "s/^/guest-dmesg: /"; echo "guest: dmesg-done"'
guest_wait disp '^guest: dmesg-done' 1 60
# The check can fail: the adapter's screen before the guest's driver
# loaded is not the picture.
set +e
idle=$("$fbp" check "$TMPDIR/idle.ppm" "${size%x*}" "${size#*x}")
st=$?
set -e
echo "ok: before the guest's driver loads, the screendump is not the picture: $idle"
assert_eq "fb-pattern check on the idle screen: exit status" 1 "$st"
guest_check_dmesg disp
guest_send "poweroff -f"
guest_end
assert_eq "disp: partvm status after poweroff -f" 0 "$GUEST_STATUS"
assert_restored "$D" "$before"

# rom = off: the same adapter without its ROM.
guest_start disp2 --name disp2 --kernel "$LAB_BZIMAGE" --initrd "$TMPDIR/initrd.img" --memory 256M \
	--vfio "$D,rom=off" --append "console=ttyS0 panic=-1 quiet"
guest_wait disp2 '^guest: ready' 1
guest_send 'for d in /sys/bus/pci/devices/*; do [ "$(cat $d/vendor):$(cat $d/device)" = 0x1234:0x1111 ] && echo "guest: rom-file $(ls $d/rom 2>/dev/null || echo none)"; done'
guest_wait disp2 '^guest: rom-file ' 1 60
assert_eq "the guest's ROM file with rom = off" none "$(guest_value disp2 rom-file)"
assert_match "partvm's log with rom = off" "^partvm: vfio $D .*; expansion ROM: off \(rom = off\)\$" \
	"$(guest_lines "$GUEST_LOG" | grep "^partvm: vfio $D " || true)"
guest_send "poweroff -f"
guest_end
assert_eq "disp2: partvm status after poweroff -f" 0 "$GUEST_STATUS"
assert_restored "$D" "$before"
echo "PASS: the guest's picture on the passed-through display adapter, pixel for pixel ($size)"
