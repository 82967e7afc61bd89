#!/bin/bash
# Issue 18's least privilege, with real devices: a Debian guest with the
# lab's passthrough NVMe, a virtio disk and the vTPM runs under `user =
# nobody` and `seccomp = on`. While it runs, every thread of partvm, and
# swtpm, shows Uid/Gid 65534, CapEff 0, NoNewPrivs 1 and Seccomp 2 in
# /proc/PID/task/*/status;
# the guest still does its I/O (NVMe data read back, a disk write the host
# reads back); partvm exits 0 with no call outside its filters; and the
# restorer it left as root gives the NVMe back to the host's driver.
# The release build, as users run it: the ASan build's filters also allow
# what its runtime needs (openat among them), which hid a vCPU's openat of
# /etc/localtime (the RTC's first time conversion) from every other test.
# lab: timeout=1200 plain
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-guest.sh"
. "$(dirname "$0")/vfio-lib.sh"

NV=$(nvme_passthrough) || exit 1
assert_eq "nvme's driver before" nvme "$(driver_of "$NV")"
truncate -s 64M "$TMPDIR/disk.img"
# The TPM's state where nobody can reach it (not under the test's 0700
# TMPDIR); partvm creates it and gives it to nobody.
tpmdir=/tmp/partvm-least-tpm.$$
trap 'rm -rf "$tpmdir"' EXIT
printf '[partition]\nuser = nobody\nseccomp = on\n[tpm]\nstate = %s\n' "$tpmdir" >"$TMPDIR/least.conf"
guest_initrd "$TMPDIR/initrd.img" --file "$LAB_DIR/vfio-guest-nvme.sh:/bin/nvme-test" -- \
	nvme virtio_pci virtio_blk
guest_start least "$TMPDIR/least.conf" --kernel "$LAB_BZIMAGE" --initrd "$TMPDIR/initrd.img" --cpus 2 \
	--memory 512M --append "console=ttyS0 panic=-1 quiet nvme_mb=16" --vfio "$NV" --disk "$TMPDIR/disk.img"
guest_wait least '^guest: ready' 1
guest_wait least 'running as nobody' 1 60

# Every partvm thread (KVM's own kvm-* kernel worker aside), and swtpm's.
swtpm=$(pgrep -P "$GUEST_PID" -x swtpm) || lab_fail "no swtpm child of partvm"
threads=0
for t in /proc/"$GUEST_PID"/task/* /proc/"$swtpm"/task/*; do
	comm=$(cat "$t/comm")
	case $comm in kvm-*) continue ;; esac
	line=$(lab_privileges "$t/status")
	echo "  $comm: $line"
	assert_eq "$comm" "Uid 65534/65534/65534 Gid 65534/65534/65534 CapEff 0000000000000000 NoNewPrivs 1 Seccomp 2" \
		"$line"
	threads=$((threads + 1))
done
assert_ge "partvm and swtpm threads checked" 5 "$threads"
assert_eq "the TPM's state directory's owner" nobody "$(stat -c %U "$tpmdir")"

guest_send "/bin/nvme-test"
guest_wait least '^guest: nvme interrupts taken ' 1 600
guest_send 'dd if=/dev/urandom of=/tmp/d bs=1M count=8 2>/dev/null; dd if=/tmp/d of=/dev/vda bs=1M oflag=direct 2>/dev/null; echo "guest: disk sha $(sha256sum /tmp/d | cut -d" " -f1)"'
guest_wait least '^guest: disk sha ' 1 300
guest_send "poweroff -f"
guest_end
assert_eq "partvm status after poweroff -f" 0 "$GUEST_STATUS"
nvme_guest_checks "$GUEST_LOG" partvm-passthrough 2 16
if grep -q 'seccomp: thread' "$GUEST_LOG"; then
	lab_fail "a call outside partvm's filters: $(grep 'seccomp: thread' "$GUEST_LOG")"
fi
echo "ok: no system call outside partvm's filters"
assert_eq "the disk's first 8 MiB, read on the host" "$(guest_value least "disk sha")" \
	"$(head -c 8M "$TMPDIR/disk.img" | sha256sum | cut -d' ' -f1)"
# The restorer (root) gives the device back once partvm has ended (it
# takes seconds under TCG; up to a minute is allowed on a busy machine).
for _ in $(seq 300); do
	[ "$(driver_of "$NV")" = nvme ] && [ ! -e "/run/partvm/vfio/$NV" ] && break
	sleep 0.2
done
if [ "$(driver_of "$NV")" != nvme ]; then
	echo "--- partvm's last lines, and what is left of the restorer"
	tr -d '\r' <"$GUEST_LOG" | grep -v '^\[' | tail -n 15
	ps -eo pid,ppid,stat,wchan:24,args | grep '[v]fio restore' || echo "(no restorer running)"
	ls -l /run/partvm/vfio
fi
assert_restored "$NV" nvme
assert_eq "sha256 the host reads after the restorer" "$NVME_WROTE" "$(nvme_host_sha "$NV" 16)"
echo "PASS: least privilege with passthrough and a disk"
