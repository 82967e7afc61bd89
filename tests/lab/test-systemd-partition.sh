#!/bin/bash
# partvm under a real systemd (PID 1 of a PID namespace over an overlay of
# the lab's root), installed by `make install`:
#  - partvm-host.service creates the VFs of /etc/partvm/host.conf at boot;
#  - `systemctl start partvm@test` boots Debian's kernel, and the unit is
#    active (running) only once partvm sent READY=1 with its vCPUs running;
#    partvm list and systemctl status show it; its vCPU runs on the CPU of
#    partvm.slice's AllowedCPUs= that cpu-affinity names, and a partition
#    asking for a CPU outside the slice is refused by name;
#  - `systemctl stop` is a guest shutdown: the ACPI power button, the guest
#    logs its own poweroff, partvm exits 0, ExecStopPost restores;
#  - kill -9 of partvm: systemd runs ExecStopPost, list cleans the socket;
#  - partvm console attaches a terminal to it from another shell;
#  - its NIC: a tap partvm creates on a lab-host bridge under the unit's
#    sandbox (DeviceAllow=, CAP_NET_ADMIN), on vhost-net, gone after the
#    stop and after kill -9;
#  - ready-on = guest: systemd 254 in a guest on its own disk (with a
#    credential from the config) makes partvm@sdguest active by its READY=1
#    over vsock; systemctl stop is its systemd's poweroff; a guest that
#    never says READY=1 fails the start at the unit's TimeoutStartSec.
# lab: own-boot timeout=2400
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/systemd-lib.sh"
. "$(dirname "$0")/blk-lib.sh"
BR=pvsdbr0 TAP=pvsd0
trap 'sd_cleanup; ip link del "$BR" 2>/dev/null || true' EXIT
modprobe tun
modprobe bridge
modprobe vhost_net
# The unit's ExecStartPre modprobe cannot load from the lab's module tree.
modprobe vhost_vsock
ip link add "$BR" type bridge

pf=$(lab_pci_find 8086:10c9)
pfsys=/sys/bus/pci/devices/$pf
assert_eq "VFs before systemd starts" 0 "$(cat "$pfsys/sriov_numvfs")"

sd_guest_initrd "$TMPDIR/initrd.gz"
blk_systemd_image "$TMPDIR/sdguest.img"
blk_systemd_initrd "$TMPDIR/sdguest-initrd.img"
sd_setup
cp "$TMPDIR/sdguest-initrd.img" "$M/var/lib/partvm-images/"
# Disk images live in the unit's StateDirectory, writable in its sandbox.
mkdir -p "$M/var/lib/partvm"
cp "$TMPDIR/sdguest.img" "$M/var/lib/partvm/"
cp "$LAB_BZIMAGE" "$M/var/lib/partvm-images/vmlinuz"
cp "$TMPDIR/initrd.gz" "$M/var/lib/partvm-images/test-initrd.gz"
cat >"$M/etc/partvm/host.conf" <<EOF
[pf "$pf"]
vfs = 2
EOF
cat >"$M/etc/partvm/test.conf" <<EOF
[partition]
memory = 256M
cpus = 1
cpu-affinity = 1
shutdown-timeout = 120
[boot]
kernel = /var/lib/partvm-images/vmlinuz
initrd = /var/lib/partvm-images/test-initrd.gz
cmdline = console=ttyS0 panic=-1 quiet
[net]
bridge = $BR
tap = $TAP
EOF
cat >"$M/etc/partvm/sdguest.conf" <<EOF
[partition]
memory = 512M
cpus = 1
cpu-affinity = 1
shutdown-timeout = 120
ready-on = guest
[boot]
kernel = /var/lib/partvm-images/vmlinuz
initrd = /var/lib/partvm-images/sdguest-initrd.img
cmdline = console=ttyS0 panic=-1 quiet
[disk]
path = /var/lib/partvm/sdguest.img
[vsock]
cid = $((3000 + $$ % 1000))
[credentials]
greeting = hello from /etc/partvm
EOF
# The same partition on a CPU the slice does not give partitions.
sed 's/^cpu-affinity = 1$/cpu-affinity = 0/; /^\[net\]/,$d' "$M/etc/partvm/test.conf" >"$M/etc/partvm/outside.conf"
# Partitions get CPU 1; CPU 0 stays with the host.
mkdir -p "$M/etc/systemd/system/partvm.slice.d"
printf '[Slice]\nAllowedCPUs=1\n' >"$M/etc/systemd/system/partvm.slice.d/cpus.conf"
ln -s /usr/lib/systemd/system/partvm-host.service "$M/etc/systemd/system/multi-user.target.wants/"

sd_boot

# --- partvm-host.service ran at boot.
assert_eq "partvm-host.service" "active exited" "$(sd_state partvm-host.service)"
assert_eq "VFs after boot (sriov_numvfs)" 2 "$(cat "$pfsys/sriov_numvfs")"
assert_contains "partvm-host.service's journal" "VFs (was 0)" "$(sd_journal partvm-host.service)"

# --- Start: activating until READY=1, then active (running).
sd_start partvm@test.service 900
assert_eq "partvm@test.service" "active running" "${SD_STATES[-1]}"
assert_eq "StatusText once active" "running: 1 vCPU, 256 MiB" "$(sd systemctl show -P StatusText partvm@test.service)"
# Active only once READY=1 came: later than the start, and in the journal
# partvm's READY=1 line (its vCPU thread running) comes before systemd's
# "Started".
read -r t_exec t_active <<<"$(sd_props partvm@test.service ExecMainStartTimestampMonotonic ActiveEnterTimestampMonotonic)"
assert_ge "ms from ExecStart to active (READY=1)" 1 $(((t_active - t_exec) / 1000))
journal=$(sd journalctl -q -o cat --no-pager _SYSTEMD_UNIT=partvm@test.service + UNIT=partvm@test.service)
assert_match "partvm says its vCPU runs and READY=1" 'guest running: 1 vCPU on thread [0-9]+ \(boot 1\), READY=1' "$journal"
ready_line=$(grep -m1 -n 'READY=1' <<<"$journal" | cut -d: -f1 || true)
started_line=$(grep -m1 -nE '^Started .*partvm partition test' <<<"$journal" | cut -d: -f1 || true)
if [ -z "$started_line" ] || [ -z "$ready_line" ] || [ "$ready_line" -ge "$started_line" ]; then
	sed 's/^/    | /' <<<"$journal"
	lab_fail "journal order: READY=1 at line '$ready_line', systemd's Started at line '$started_line'"
fi
echo "ok: READY=1 (journal line $ready_line) before systemd's Started (line $started_line)"

sd_wait_journal partvm@test.service '^guest: ready' 900
# WatchdogSec=30s: partvm's loop pings every 15 s once active.
deadline=$((SECONDS + 120))
while t_wd=$(sd systemctl show -P WatchdogTimestampMonotonic partvm@test.service) &&
	[ "${t_wd:-0}" -le "$t_active" ] && [ $SECONDS -lt $deadline ]; do
	sd_nap 1
done
assert_ge "ms from active to the last WATCHDOG=1" 1 $(((t_wd - t_active) / 1000))
sd systemctl status --no-pager --lines=8 partvm@test.service >"$TMPDIR/status.txt" || true
sd partvm list >"$TMPDIR/list.txt"
echo "lab: --- systemctl status partvm@test"
cat "$TMPDIR/status.txt"
echo "lab: --- partvm list"
cat "$TMPDIR/list.txt"
assert_contains "systemctl status" "Active: active (running)" "$(cat "$TMPDIR/status.txt")"
assert_contains "systemctl status" 'Status: "running: 1 vCPU, 256 MiB"' "$(cat "$TMPDIR/status.txt")"
assert_contains "systemctl status" "partvm.slice" "$(cat "$TMPDIR/status.txt")"
main_pid=$(sd systemctl show -P MainPID partvm@test.service)
assert_match "partvm list" "^test +running +$main_pid " "$(sed -n 2p "$TMPDIR/list.txt")"

# --- partvm console from another shell, on a pseudo-terminal (script):
# the recent boot lines first, a command typed there runs in the guest,
# Ctrl-] detaches and the partition runs on; the journal keeps the output.
(sleep 3; printf 'echo console-typed-%s\n' "$$"; sleep 6; printf '\035') |
	sd script -qfec "partvm console test" /dev/null >"$TMPDIR/console.out" 2>&1 || true
tr -d '\r' <"$TMPDIR/console.out" | sed 's/^/    | /' | tail -n 12
console=$(tr -d '\r' <"$TMPDIR/console.out")
assert_contains "partvm console: attached, typing" "attached to test's console (read-write)" "$console"
assert_contains "partvm console: the boot lines from before it attached" "guest: ready" "$console"
assert_eq "partvm console: the typed command's output, a line of its own" "console-typed-$$" \
	"$(grep -x "console-typed-$$" <<<"$console" || true)"
assert_contains "partvm console: Ctrl-] detaches" "detached; the partition runs on" "$console"
assert_eq "partvm@test after the console detached" "active running" "$(sd_state partvm@test.service)"
sd_wait_journal partvm@test.service "^console-typed-$$" 60

# --- CPUs: the slice gives CPU 1; the vCPU is pinned there.
st=$(sd partvm ctl test status --json)
assert_eq "vCPU 0's CPUs (status)" "[1]" "$(jq -c '.vcpus[0].cpus' <<<"$st")"
# --- The NIC: its tap, created under the unit's sandbox, on the bridge.
assert_eq "the NIC's data path under the unit" vhost-net \
	"$(jq -r '.devices[] | select(.type == "virtio-net") | ."data-path"' <<<"$st")"
assert_eq "the tap partvm created is on the bridge" "$BR" \
	"$(basename "$(readlink "/sys/class/net/$TAP/master")")"
# The unit's cgroup as the kernel names it (systemd's root may not be the
# hierarchy's); cpuset is enabled on the slice, which bounds its children.
cgpath=$(sd cat "/proc/$main_pid/cgroup")
cg=/sys/fs/cgroup${cgpath#0::}
assert_match "partvm@test's cgroup" '/partvm\.slice/partvm@test\.service$' "$cg"
assert_eq "cpuset.cpus.effective of partvm.slice" 1 "$(cat "${cg%/*}/cpuset.cpus.effective")"
host_pid=$(head -n1 "$cg/cgroup.procs")
vtid=$(grep -lx vcpu0 /proc/"$host_pid"/task/*/comm | cut -d/ -f5)
assert_eq "partvm's main thread's Cpus_allowed_list" 1 \
	"$(awk '/^Cpus_allowed_list/ { print $2 }' "/proc/$host_pid/task/$host_pid/status")"
assert_eq "vcpu0 thread's Cpus_allowed_list" 1 "$(awk '/^Cpus_allowed_list/ { print $2 }' "/proc/$host_pid/task/$vtid/status")"

# --- Least privilege: `make install` made the partvm system user, and the
# partition, started as root by the unit, went on as it once set up: no
# capability left, no_new_privs, partvm's own seccomp filters loaded on
# top of the unit's (a filter that did not load would say so), and no
# root process left behind (--no-restorer: ExecStopPost restores).
read -r pv_uid pv_gid <<<"$(awk -F: '$1 == "partvm" { print $3, $4 }' "$M/etc/passwd")"
assert_match "the partvm user in the unit's /etc/passwd" '^[0-9]+$' "${pv_uid:-}"
journal=$(sd_journal partvm@test.service)
assert_contains "partvm@test's journal" "running as partvm (uid $pv_uid, gid $pv_gid) from now on" "$journal"
case $journal in *"cannot load the"*) lab_fail "a seccomp filter did not load under the unit: $journal" ;; esac
threads=0
for t in /proc/"$host_pid"/task/*; do
	comm=$(cat "$t/comm")
	case $comm in kvm-* | vhost-*) continue ;; esac
	line=$(lab_privileges "$t/status")
	echo "  $comm: $line"
	assert_eq "$comm under the unit" "Uid $pv_uid/$pv_uid/$pv_uid Gid $pv_gid/$pv_gid/$pv_gid CapEff 0000000000000000 NoNewPrivs 1 Seccomp 2" "$line"
	threads=$((threads + 1))
done
assert_ge "partvm threads checked under the unit" 3 "$threads"
# KVM's own worker (kvm-nx-lpage-recovery) and vhost-net's (vhost-PID)
# join the VMM's cgroup: the kernel's, not partvm's.
procs=$(while read -r p; do
	c=$(cat "/proc/$p/comm" 2>/dev/null) || continue
	case $c in kvm-* | "vhost-$host_pid") ;; *) echo "$p:$c" ;; esac
done <"$cg/cgroup.procs")
assert_eq "processes in partvm@test's cgroup but the kernel's workers (no restorer)" "$host_pid:partvm" "$(echo $procs)"
sd systemctl start partvm@outside.service 2>/dev/null && lab_fail "partvm@outside started on a CPU outside the slice"
# At priority "err" in the journal: partvm's "<3>" prefix reached journald.
assert_contains "partvm@outside's journal at priority err" \
	"host CPU 0 (for vcpu 0) is not available to partvm, which may use CPUs 1" \
	"$(sd_journal partvm@outside.service -p err)"

# --- Stop: a guest shutdown through ACPI.
t0=$SECONDS
sd systemctl stop partvm@test.service
echo "lab: systemctl stop took $((SECONDS - t0)) s"
journal=$(sd_journal partvm@test.service)
assert_contains "partvm on stop" "shutting down: ACPI power button pressed" "$journal"
assert_contains "the guest on stop" "guest: power button pressed, powering off" "$journal"
assert_match "the guest kernel's own poweroff" 'reboot: Power down' "$journal"
assert_contains "ExecStopPost" "vfio restore: 0 device(s) given back for partition test" "$journal"
assert_eq "partvm@test after stop (state, result, exit status)" "inactive success 0" \
	"$(sd_props partvm@test.service ActiveState Result ExecMainStatus)"
assert_eq "partvm list after stop" "no partitions running" "$(sd partvm list)"
assert_run "the tap is gone after the stop" sh -c "! ip link show $TAP 2>/dev/null"

# --- partvm ctl shutdown: the power button; the guest powers off by itself
# and the unit ends cleanly.
since=$(sd date '+%Y-%m-%d %H:%M:%S')
sd systemctl start partvm@test.service
sd_wait_journal partvm@test.service '^guest: ready' 900 --since "$since"
assert_eq "partvm ctl test shutdown" "test: shutting-down" "$(sd partvm ctl test shutdown)"
assert_eq "StatusText after ctl shutdown" "shutting down: ACPI power button pressed" \
	"$(sd systemctl show -P StatusText partvm@test.service)"
sd_wait_state partvm@test.service inactive 600
assert_eq "partvm@test after ctl shutdown (result, exit status)" "success 0" \
	"$(sd_props partvm@test.service Result ExecMainStatus)"
assert_contains "the guest after ctl shutdown" "guest: power button pressed, powering off" \
	"$(sd_journal partvm@test.service --since "$since")"

# --- kill -9: systemd runs ExecStopPost, which also removes the stale
# control socket (partvm, as its user, could not: /run/partvm is root's).
since=$(sd date '+%Y-%m-%d %H:%M:%S')
sd systemctl start partvm@test.service
sd_wait_journal partvm@test.service '^guest: ready' 900 --since "$since"
pid=$(sd systemctl show -P MainPID partvm@test.service)
sd kill -9 "$pid"
sd_wait_state partvm@test.service failed 300
assert_eq "Result after kill -9" signal "$(sd systemctl show -P Result partvm@test.service)"
journal=$(sd_journal partvm@test.service --since "$since")
assert_contains "ExecStopPost after kill -9" "vfio restore: 0 device(s) given back for partition test" "$journal"
[ ! -e "$M/run/partvm/test.sock" ] || lab_fail "the stale socket is still there after ExecStopPost"
out=$(sd partvm list 2>&1)
assert_contains "partvm list after kill -9" "no partitions running" "$out"
echo "ok: kill -9: ExecStopPost ran and removed the stale socket ($out)"
assert_run "the tap is gone after kill -9" sh -c "! ip link show $TAP 2>/dev/null"

# --- ready-on = guest: systemd 254 in the guest, on its own disk, says over
# vsock when its boot is done; only then is partvm@sdguest active, and its
# StatusText carries the guest's own status. systemctl stop presses the
# power button, and the guest's systemd powers off.
sd_start partvm@sdguest.service 900
journal=$(sd_journal partvm@sdguest.service)
[ "${SD_STATES[-1]}" = "active running" ] || sed 's/^/    | /' <<<"$journal"
assert_eq "partvm@sdguest.service" "active running" "${SD_STATES[-1]}"
assert_match "StatusText: the guest's systemd is up" \
	'^running: 1 vCPU, 512 MiB; the guest is up \(its READY=1: [^)]+\)$' \
	"$(sd systemctl show -P StatusText partvm@sdguest.service)"
sd systemctl status --no-pager --lines=0 partvm@sdguest.service 2>&1 | sed 's/^/    | /' || true
assert_match "the guest's PID 1 (journal)" 'guest: pid1 systemd systemd 2(5[4-9]|[6-9][0-9]) ' "$journal"
assert_contains "a credential from the config reached the guest's systemd" \
	"guest: greeting hello from /etc/partvm" "$journal"
# The vCPUs ran long before the unit was active: "Started" follows the
# guest's READY=1, not partvm's.
vcpus_line=$(grep -m1 -n 'guest running: 1 vCPU' <<<"$journal" | cut -d: -f1 || true)
up_line=$(grep -m1 -n "the guest reports it is up" <<<"$journal" | cut -d: -f1 || true)
started_line=$(grep -m1 -nE '^Started .*partvm partition sdguest' <<<"$journal" | cut -d: -f1 || true)
if [ -z "$vcpus_line" ] || [ -z "$up_line" ] || [ -z "$started_line" ] ||
	[ "$vcpus_line" -ge "$up_line" ] || [ "$up_line" -ge "$started_line" ]; then
	sed 's/^/    | /' <<<"$journal"
	lab_fail "journal order: vCPUs at line '$vcpus_line', the guest up at '$up_line', systemd's Started at '$started_line'"
fi
echo "ok: vCPUs running (journal line $vcpus_line), the guest's READY=1 ($up_line), then systemd's Started ($started_line)"
t0=$SECONDS
sd systemctl stop partvm@sdguest.service
echo "lab: systemctl stop took $((SECONDS - t0)) s"
journal=$(sd_journal partvm@sdguest.service)
assert_contains "the guest's systemd on stop" "guest: power button pressed, systemctl poweroff" "$journal"
assert_eq "partvm@sdguest after stop (state, result, exit status)" "inactive success 0" \
	"$(sd_props partvm@sdguest.service ActiveState Result ExecMainStatus)"

# --- ready-on = guest with a guest that never says READY=1 (busybox, no
# systemd): the start fails when the unit's start timeout is up, and the
# stop that follows is the usual guest shutdown.
mkdir -p "$M/etc/systemd/system/partvm@never.service.d"
printf '[Service]\nTimeoutStartSec=40s\n' >"$M/etc/systemd/system/partvm@never.service.d/timeout.conf"
sed 's/^cpus = 1$/cpus = 1\nready-on = guest/; /^\[net\]/,$d' "$M/etc/partvm/test.conf" >"$M/etc/partvm/never.conf"
printf '[vsock]\ncid = %s\n' $((3001 + $$ % 1000)) >>"$M/etc/partvm/never.conf"
sd systemctl daemon-reload
t0=$SECONDS
if sd systemctl start partvm@never.service 2>"$TMPDIR/never.err"; then
	lab_fail "partvm@never started although its guest never sent READY=1"
fi
echo "lab: systemctl start partvm@never failed after $((SECONDS - t0)) s: $(cat "$TMPDIR/never.err")"
assert_ge "seconds before the start failed (TimeoutStartSec=40s)" 40 $((SECONDS - t0))
assert_eq "partvm@never's result" timeout "$(sd systemctl show -P Result partvm@never.service)"
journal=$(sd_journal partvm@never.service)
assert_contains "partvm@never's journal: the guest ran" "guest: ready, waiting for the power button" "$journal"
assert_contains "partvm@never's journal: the start timed out" "start operation timed out" "$journal"
assert_contains "partvm@never's journal: then the power button" "guest: power button pressed, powering off" "$journal"
sd_wait_state partvm@never.service failed 120

sd_poweroff
echo "PASS: partvm as a systemd service"
