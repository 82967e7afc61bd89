#!/bin/bash
# guest-initrd makes an initramfs that Debian's kernel boots as a KVM guest
# on the lab host: the requested module loads, an added binary runs with its
# libraries, an added file is there, tpm2-tools reach a TPM through the
# dlopen'ed device TCTI, and the script's exit status is reported. Also
# proves nested KVM boots a Linux guest. The guest runs under QEMU here;
# partvm's own boot tests use the same initramfs builder.
# lab: timeout=600
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cat >"$TMPDIR/script" <<'SCRIPT'
#!/bin/sh
echo "release $(uname -r)"
echo "modules $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
echo "iproute2 $(/usr/sbin/ip -V)"
echo "file $(cat /etc/lab-marker)"
echo "pcr0 $(tpm2_pcrread -T device:/dev/tpm0 sha256:0 | sed -n 's/^ *0 : //p')"
exit 7
SCRIPT
chmod +x "$TMPDIR/script"
echo "lab-marker-$$" >"$TMPDIR/marker"

lab_guest_initrd --tpm2-tools --bin /usr/sbin/ip --file "$TMPDIR/marker:/etc/lab-marker" \
	"$TMPDIR/initrd.img" "$TMPDIR/script" igbvf
echo "initramfs: $(stat -c %s "$TMPDIR/initrd.img") bytes"

mkdir "$TMPDIR/tpm"
swtpm socket --tpm2 --tpmstate dir="$TMPDIR/tpm" --ctrl type=unixio,path="$TMPDIR/swtpm.sock" \
	--pid file="$TMPDIR/swtpm.pid" --daemon
# swtpm ends with its client; stop it should QEMU fail to connect.
trap '[ ! -f "$TMPDIR/swtpm.pid" ] || kill "$(cat "$TMPDIR/swtpm.pid")" 2>/dev/null || true' EXIT

start=$(date +%s%N)
timeout 300 qemu-system-x86_64 -M q35 -accel kvm -m 512M -nodefaults -display none -no-reboot \
	-serial "file:$TMPDIR/serial.log" \
	-chardev "socket,id=tpm,path=$TMPDIR/swtpm.sock" -tpmdev emulator,id=tpm0,chardev=tpm \
	-device tpm-crb,tpmdev=tpm0 \
	-kernel "$LAB_BZIMAGE" -initrd "$TMPDIR/initrd.img" -append "console=ttyS0 quiet panic=-1"
echo "guest boot and run: $(( ($(date +%s%N) - start) / 1000000 )) ms"
out=$(tr -d '\r' <"$TMPDIR/serial.log")
echo "--- guest serial"
echo "$out"
echo "---"

line() { sed -n "s/^$1 //p" <<<"$out"; }
assert_eq "guest kernel release" "$LAB_KVER" "$(line release)"
assert_contains "guest modules" "igbvf" "$(line modules)"
assert_match "added binary with its libraries" '^ip utility, iproute2-' "$(line iproute2)"
assert_eq "added file" "lab-marker-$$" "$(line file)"
assert_match "PCR0 read with tpm2-tools over the device TCTI" '^0x[0-9A-F]{64}$' "$(line pcr0)"
assert_contains "script status reported" "guest-init: script exited with status 7" "$out"
