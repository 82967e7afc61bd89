#!/bin/bash
# virtio-vsock on vhost-vsock: Debian's vmw_vsock_virtio_transport binds the
# device (1af4:1053) and the guest reads its CID; socat echoes between the
# lab host and the guest over AF_VSOCK both ways (the lab host connects to
# the guest's CID, the guest to CID 2, the host); a second partition asking
# for the same CID is refused in one line naming the first; after the guest
# ends, the CID is free again.
# lab: timeout=900
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-guest.sh"

CID=42
echo_pid=

cleanup() {
	lab_kill "$echo_pid" "${LAB_NOTIFY_PID:-}"
	lab_kill -9 "${GUEST_PID:-}"
}
trap cleanup EXIT

modprobe vhost_vsock
assert_exists "vhost-vsock device" /dev/vhost-vsock
# The lab host's side of guest-to-host: an echo on port 5001.
socat VSOCK-LISTEN:5001,reuseaddr,fork EXEC:cat >"$TMPDIR/echo.log" 2>&1 &
echo_pid=$!

notifier=$(lab_helper vsock-notify)
guest_initrd "$TMPDIR/initrd.img" --bin /usr/bin/socat --bin "$notifier" -- virtio_pci \
	vmw_vsock_virtio_transport +dmi_sysfs
guest_start vs1 --name vs1 --kernel "$LAB_BZIMAGE" --initrd "$TMPDIR/initrd.img" --cpus 2 \
	--memory 512M --append "console=ttyS0 panic=-1 quiet" --vsock cid=$CID
guest_wait vs1 '^guest: ready' 1
assert_match "vs1: virtio-vsock in lspci" 'Red Hat, Inc. Virtio 1.0 socket \[1af4:1053\]' \
	"$(grep '^guest-lspci: ' "$GUEST_LOG" | tr -d '\r')"
assert_eq "vs1: cid (control socket)" $CID \
	"$("$PARTVM" ctl vs1 status --json | jq -r '.devices[] | select(.type == "virtio-vsock") | .cid')"

# Host to guest: an echo in the guest on port 5000.
guest_send '/usr/bin/socat VSOCK-LISTEN:5000,reuseaddr,fork EXEC:cat >/dev/null 2>&1 & sleep 1; echo "guest: listening"'
guest_wait vs1 '^guest: listening' 1 60
got=$(echo "hello-guest-$$" | timeout 30 socat - VSOCK-CONNECT:$CID:5000)
assert_eq "host to guest: the echo over vsock" "hello-guest-$$" "$got"
# 1 MiB through it, checked by sha256 on the way back.
head -c 1M /dev/urandom >"$TMPDIR/blob"
got=$(timeout 60 socat -t 5 - VSOCK-CONNECT:$CID:5000 <"$TMPDIR/blob" | sha256sum | cut -d' ' -f1)
assert_eq "host to guest: 1 MiB echoed whole" "$(sha256sum <"$TMPDIR/blob" | cut -d' ' -f1)" "$got"

# Guest to host.
guest_send 'echo "guest: echo $(echo hello-host | /usr/bin/socat - VSOCK-CONNECT:2:5001)"'
guest_wait vs1 '^guest: echo' 1 60
assert_eq "guest to host: the echo over vsock" hello-host "$(guest_value vs1 echo)"

# The CID is the host's to give once.
set +e
"$PARTVM" run --name vs2 --kernel "$LAB_BZIMAGE" --memory 256M --vsock cid=$CID \
	</dev/null >"$TMPDIR/vs2.out" 2>"$TMPDIR/vs2.err"
st=$?
set -e
sed 's/^/    | /' "$TMPDIR/vs2.err"
assert_eq "a second partition on cid $CID exits 2" 2 "$st"
assert_eq "one line of refusal" 1 "$(wc -l <"$TMPDIR/vs2.err")"
assert_contains "the refusal names the holder" \
	"vsock: cid $CID is taken by partition 'vs1' (pid $GUEST_PID)" "$(cat "$TMPDIR/vs2.err")"

guest_check_dmesg vs1
guest_send "poweroff -f"
guest_end
assert_eq "vs1: partvm status after poweroff -f" 0 "$GUEST_STATUS"

# --- ready-on = guest.
cat >"$TMPDIR/ready.conf" <<CONF
[partition]
name = vs-ready
memory = 256M
cpus = 2
ready-on = guest
[boot]
kernel = $LAB_BZIMAGE
initrd = $TMPDIR/initrd.img
cmdline = console=ttyS0 panic=-1 quiet
[vsock]
cid = $CID
CONF
lab_notify_listen "$TMPDIR/notify.sock" "$TMPDIR/notify.log"
export NOTIFY_SOCKET=$TMPDIR/notify.sock
guest_start ready "$TMPDIR/ready.conf"
unset NOTIFY_SOCKET
guest_wait ready '^guest: ready' 1
sleep 2
sed 's/^/    | /' "$TMPDIR/notify.log"
assert_contains "ready-on = guest: the vCPUs run, READY=1 waits" \
	"STATUS=running: 2 vCPUs, 256 MiB; waiting for the guest's READY=1" "$(cat "$TMPDIR/notify.log")"
if grep -q 'READY=1;' "$TMPDIR/notify.log"; then
	lab_fail "ready-on = guest: READY=1 went to the service manager before the guest sent its own"
fi
echo "ok: no READY=1 before the guest's"
# The guest's helper writes its line to a file, shown with cat only after
# partvm has said (or not) that the guest is up: the guest's console and
# partvm's stderr share this log, and a line of partvm's printed while the
# helper's was on its way split it (CI, 2026-12-06: "vso" + partvm's line +
# "ck-notify: sent to ...").
guest_send "modprobe dmi_sysfs; $notifier 'READY=1\\nSTATUS=Startup finished in 1.5s' >/tmp/vsock-notify.out 2>&1"
for i in $(seq 600); do
	grep -q "the guest reports it is up" "$GUEST_LOG" && break
	sleep 0.1
done
# The guest's shell runs this after the helper has exited.
guest_send "cat /tmp/vsock-notify.out"
guest_wait ready '^vsock-notify: ' 1 60
sent=$(grep -ao '^vsock-notify: sent to [0-9]*:[0-9]*' "$GUEST_LOG" | tail -n 1 || true)
[ -n "$sent" ] || lab_fail "the guest did not send its READY=1 over vsock:" \
	"$(grep -a '^vsock-notify: ' "$GUEST_LOG" | tail -n 1 | tr -d '\r')"
assert_match "the guest sent its READY=1 over vsock" '^vsock-notify: sent to 2:[0-9]+$' "$sent"
port=$("$PARTVM" ctl vs-ready status --json | jq -r '.devices[] | select(.type == "virtio-vsock") | ."notify-port"')
assert_eq "the port in the credential is partvm's (control socket)" "vsock-notify: sent to 2:$port" "$sent"
for i in $(seq 100); do grep -q '^READY=1;' "$TMPDIR/notify.log" && break; sleep 0.1; done
sed 's/^/    | /' "$TMPDIR/notify.log"
assert_contains "READY=1 to the service manager, with the guest's status" \
	"READY=1;STATUS=running: 2 vCPUs, 256 MiB; the guest is up (its READY=1: Startup finished in 1.5s)" \
	"$(cat "$TMPDIR/notify.log")"
assert_contains "partvm says the guest is up" "the guest reports it is up (its systemd's READY=1: Startup finished in 1.5s), READY=1" \
	"$(tr -d '\r' <"$GUEST_LOG")"
guest_send "poweroff -f"
guest_end
assert_eq "ready: partvm status after poweroff -f" 0 "$GUEST_STATUS"
lab_kill "$LAB_NOTIFY_PID"
# Free again: the same refusal check passes (the run stops later, at KVM).
set +e
"$PARTVM" run --name vs3 --kernel "$LAB_BZIMAGE" --memory 256M --vsock cid=$CID \
	--kvm-device /nonexistent/kvm </dev/null >/dev/null 2>"$TMPDIR/vs3.err"
st=$?
set -e
assert_eq "the cid is free after the guest: past the vsock check, stopped at KVM (69)" 69 "$st"
