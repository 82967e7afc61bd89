#!/bin/bash
# The console: what is typed into partvm's stdin reaches the guest's shell
# through the UART, and the shell's output comes back on stdout.
# lab: timeout=600
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-guest.sh"

cat >"$TMPDIR/shell.sh" <<'INIT'
#!/bin/sh
echo "guest: shell ready"
exec /bin/sh
INIT
chmod +x "$TMPDIR/shell.sh"
lab_guest_initrd "$TMPDIR/initrd.img" "$TMPDIR/shell.sh" >/dev/null

guest_start console --kernel "$LAB_BZIMAGE" --initrd "$TMPDIR/initrd.img" --memory 256M \
	--append "console=ttyS0 panic=-1 quiet"
guest_wait console '^guest: shell ready' 1
guest_send 'echo "sum=$((6 * 7))"'
guest_wait console '^sum=42' 1 60
echo "ok: an arithmetic command typed on stdin came back evaluated"
guest_send 'uname -r; echo "marker-$(cat /proc/sys/kernel/osrelease | wc -c)"'
guest_wait console '^marker-' 1 60
assert_contains "uname -r through the console" "$LAB_KVER" "$(cat "$GUEST_LOG")"
# A burst far longer than the UART's 16-byte FIFO arrives whole. It goes to
# the shell's `read` (the tty's canonical mode takes 4095 bytes a line), not
# to the command line, whose editor busybox caps at 1024 bytes.
guest_send 'read -r line; echo "len=${#line} tail=${line#"${line%????}"}"'
guest_send "$(head -c 2996 /dev/zero | tr '\0' 'x')tail"
guest_wait console '^len=3000 tail=tail' 1 120
echo "ok: a 3000-byte line arrived whole"
guest_send "poweroff -f"
guest_end
assert_eq "partvm status after poweroff -f" 0 "$GUEST_STATUS"
