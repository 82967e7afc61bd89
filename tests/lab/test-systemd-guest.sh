#!/bin/bash
# systemd as the guest's init, talking systemd's VM interface
# (systemd.io/VM_INTERFACE) with partvm: systemd 254 from bookworm-backports
# (tests/lab/guest-systemd; bookworm's 252 predates vmm.notify_socket) boots
# from a virtio disk, with a [vsock], ready-on = guest and credentials from
# the config, --credential and --credential-file. The guest's PID 1 must find
# them under /run/credentials/@system (the binary one byte for byte), send
# READY=1 over vsock to the port partvm put in vmm.notify_socket when its boot
# is done, and partvm must pass that on to its own service manager (a notify
# socket here) with the guest's status, not before. `systemctl poweroff` in
# the guest then ends partvm with status 0.
# lab: timeout=900
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-guest.sh"
. "$(dirname "$0")/blk-lib.sh"

modprobe vhost_vsock
CID=$((3000 + $$ % 1000))

blk_systemd_image "$TMPDIR/root.img"
blk_systemd_initrd "$TMPDIR/initrd.img"

# --- The partition, under a fake service manager.
head -c 300 /dev/urandom >"$TMPDIR/blob"
printf '\0\n\377' >>"$TMPDIR/blob"
cat >"$TMPDIR/sd.conf" <<CONF
[partition]
name = sd-guest
memory = 512M
cpus = 2
ready-on = guest
[boot]
kernel = $LAB_BZIMAGE
initrd = $TMPDIR/initrd.img
cmdline = console=ttyS0 panic=-1 quiet systemd.show_status=1
[disk]
path = $TMPDIR/root.img
[vsock]
cid = $CID
[credentials]
greeting = hello from the partition's config
CONF
trap 'lab_kill "${LAB_NOTIFY_PID:-}"' EXIT
lab_notify_listen "$TMPDIR/notify.sock" "$TMPDIR/notify.log"
export NOTIFY_SOCKET=$TMPDIR/notify.sock
guest_start sd "$TMPDIR/sd.conf" --credential "motto=less is more" --credential-file "blob=$TMPDIR/blob"
unset NOTIFY_SOCKET
guest_wait sd '^guest: ready' 1 600

assert_match "the guest's PID 1 is systemd 254 or later" '^systemd systemd 2(5[4-9]|[6-9][0-9]) ' \
	"$(guest_value sd pid1)"
assert_eq "credential from [credentials]" "hello from the partition's config" "$(guest_value sd greeting)"
assert_eq "credential from --credential" "less is more" "$(guest_value sd motto)"
assert_eq "binary credential from --credential-file, byte for byte" \
	"$(sha256sum <"$TMPDIR/blob" | cut -c1-64)" "$(guest_value sd blob-sha)"
port=$("$PARTVM" ctl sd-guest status --json | jq -r '.devices[] | select(.type == "virtio-vsock") | ."notify-port"')
assert_match "partvm's notify port" '^[0-9]+$' "$port"
assert_eq "vmm.notify_socket names partvm's port" "vsock:2:$port" "$(guest_value sd notify)"
assert_eq "SMBIOS type 1 product name" sd-guest "$(guest_value sd product)"

# The boot is done once lab.target is reached: systemd's READY=1 follows.
for i in $(seq 300); do grep -q '^READY=1;' "$TMPDIR/notify.log" && break; sleep 0.2; done
sed 's/^/    | /' "$TMPDIR/notify.log"
assert_contains "before the guest's READY=1: partvm waits for it" \
	"waiting for the guest's READY=1" "$(cat "$TMPDIR/notify.log")"
ready=$(grep -m1 '^READY=1;' "$TMPDIR/notify.log" || true)
# systemd 254 says "READY=1", "STATUS=Ready." to its VMM.
assert_match "READY=1 to the service manager, with systemd's own status" \
	'^READY=1;STATUS=running: 2 vCPUs, 512 MiB; the guest is up \(its READY=1: [^)]+\)$' "$ready"
assert_contains "partvm says the guest's systemd is up" \
	"the guest reports it is up (its systemd's READY=1: " "$(tr -d '\r' <"$GUEST_LOG")"
# The guest printed it; partvm's own lines must not.
if tr -d '\r' <"$GUEST_LOG" | grep '^partvm' | grep -q "less is more"; then
	lab_fail "a credential's value reached partvm's own messages"
fi
echo "ok: no credential value in partvm's own messages"

guest_send "systemctl poweroff"
guest_end 300
assert_eq "partvm status after the guest's systemctl poweroff" 0 "$GUEST_STATUS"
echo "PASS: systemd in the guest gets its credentials and tells partvm it is up"
