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
#  - kill -9 of partvm: systemd runs ExecStopPost, list cleans the socket.
# lab: own-boot timeout=2400
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/systemd-lib.sh"
trap sd_cleanup EXIT

pf=$(lab_pci_find 8086:10c9)
pfsys=/sys/bus/pci/devices/$pf
assert_eq "VFs before systemd starts" 0 "$(cat "$pfsys/sriov_numvfs")"

sd_guest_initrd "$TMPDIR/initrd.gz"
sd_setup
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
EOF
# The same partition on a CPU the slice does not give partitions.
sed 's/^cpu-affinity = 1$/cpu-affinity = 0/' "$M/etc/partvm/test.conf" >"$M/etc/partvm/outside.conf"
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
sd systemctl start --no-block partvm@test.service
states=() deadline=$((SECONDS + 900))
while :; do
	st=$(sd_state partvm@test.service)
	{ [ ${#states[@]} -gt 0 ] && [ "${states[-1]}" = "$st" ]; } || states+=("$st")
	case $st in "active running" | failed* | "inactive dead") [ ${#states[@]} -gt 1 ] && break ;; esac
	[ $SECONDS -lt $deadline ] || break
	sd_nap 0.2
done
echo "lab: partvm@test went through: $(printf '[%s] ' "${states[@]}")"
assert_eq "partvm@test.service" "active running" "${states[-1]}"
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

# --- CPUs: the slice gives CPU 1; the vCPU is pinned there.
st=$(sd partvm ctl test status --json)
assert_eq "vCPU 0's CPUs (status)" "[1]" "$(jq -c '.vcpus[0].cpus' <<<"$st")"
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
	case $comm in kvm-*) continue ;; esac
	line=$(lab_privileges "$t/status")
	echo "  $comm: $line"
	assert_eq "$comm under the unit" "Uid $pv_uid/$pv_uid/$pv_uid Gid $pv_gid/$pv_gid/$pv_gid CapEff 0000000000000000 NoNewPrivs 1 Seccomp 2" "$line"
	threads=$((threads + 1))
done
assert_ge "partvm threads checked under the unit" 3 "$threads"
# KVM's own worker (kvm-nx-lpage-recovery) joins the VMM's cgroup: the
# kernel's, not partvm's.
procs=$(while read -r p; do
	c=$(cat "/proc/$p/comm" 2>/dev/null) || continue
	case $c in kvm-*) ;; *) echo "$p:$c" ;; esac
done <"$cg/cgroup.procs")
assert_eq "processes in partvm@test's cgroup but KVM's worker (no restorer)" "$host_pid:partvm" "$(echo $procs)"
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

sd_poweroff
echo "PASS: partvm as a systemd service"
