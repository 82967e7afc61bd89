#!/bin/bash
# Hyper-V enlightenments and hypervisor-id (issue 17) in Debian's kernel,
# which reads CPUID through /dev/cpu/0/cpuid (the cpuid module):
#  - hyperv = yes (a config file): "Microsoft Hv" at 0x40000000 and KVM's
#    "KVMKVMKVM" at 0x40000100, and the control socket says so. Linux takes
#    KVM when it finds both (each detector returns the leaf it found,
#    the highest wins: arch/x86/kernel/cpu/hypervisor.c), so it says
#    "Hypervisor detected: KVM" and keeps kvm-clock.
#  - hyperv = yes, hypervisor-id = hide: only Hyper-V's leaves, so Linux
#    says "Hypervisor detected: Microsoft Hyper-V" and registers the
#    reference TSC page clocksource (hyperv_clocksource_tsc_page), with
#    both vCPUs online and no kvm-clock.
#  - hypervisor-id = hide alone: no hypervisor bit, no "Hypervisor
#    detected" line, no KVM signature.
# lab: timeout=900
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux-guest.sh"

guest_initrd "$TMPDIR/initrd.img" -- cpuid
args=(--kernel "$LAB_BZIMAGE" --initrd "$TMPDIR/initrd.img" --cpus 2 --memory 512M
	--append "console=ttyS0 panic=-1 quiet")

# report NAME: the guest's view as "guest: KEY VALUE" lines: the platform
# Linux chose, its clocksources, the CPUs with the hypervisor flag, and
# the signatures (NULs dropped) at 0x40000000 and 0x40000100.
report() {
	guest_send 'echo "guest: detected $(dmesg | sed -n "s/.*Hypervisor detected: //p")"; echo "guest: clocksources $(cat /sys/devices/system/clocksource/clocksource0/available_clocksource)"; echo "guest: hv-flag $(grep -c "^flags.* hypervisor" /proc/cpuinfo)"; for l in 1073741824 1073742080; do echo "guest: cpuid-$l $(dd if=/dev/cpu/0/cpuid bs=16 count=1 skip=$((l / 16)) 2>/dev/null | tail -c 12 | tr -d "\0")"; done; echo "guest: report-done"'
	guest_wait "$1" '^guest: report-done' 1 60
	grep -E '^guest(-dmesg)?: ' "$TMPDIR/$1.log" | tr -d '\r' | sed 's/^/    | /' || true
}

# no_kvm_clock NAME: without KVM's leaves Linux finds no kvm-clock.
no_kvm_clock() {
	[[ $(guest_value "$1" clocksources) != *kvm-clock* ]] ||
		lab_fail "$1: kvm-clock among the clocksources: $(guest_value "$1" clocksources)"
	echo "ok: $1: no kvm-clock"
}

# poweroff NAME: the guest powers off, partvm exits 0.
poweroff() {
	guest_send "poweroff -f"
	guest_end
	assert_eq "$1: partvm status after poweroff -f" 0 "$GUEST_STATUS"
}

cat >"$TMPDIR/hyperv.conf" <<CONF
[partition]
name = lab-hyperv
memory = 512M
cpus = 2
hyperv = yes
[boot]
kernel = $LAB_BZIMAGE
initrd = $TMPDIR/initrd.img
cmdline = console=ttyS0 panic=-1 quiet
CONF
guest_start hyperv "$TMPDIR/hyperv.conf"
guest_wait hyperv '^guest: ready' 1
st=$("$PARTVM" ctl lab-hyperv status --json)
assert_eq "hyperv: status hypervisor" "true hyperv Microsoft Hv" \
	"$(jq -r '.hypervisor | "\(.hyperv) \(.["hypervisor-id"]) \(.["hyperv-vendor-id"])"' <<<"$st")"
assert_contains "hyperv: partvm ctl status" "hypervisor: Hyper-V enlightenments, vendor 'Microsoft Hv', KVM's leaves at 0x40000100" \
	"$("$PARTVM" ctl lab-hyperv status)"
report hyperv
assert_eq "hyperv: CPUID 0x40000000" "Microsoft Hv" "$(guest_value hyperv cpuid-1073741824)"
assert_eq "hyperv: CPUID 0x40000100" "KVMKVMKVM" "$(guest_value hyperv cpuid-1073742080)"
assert_eq "hyperv: CPUs with the hypervisor flag" 2 "$(guest_value hyperv hv-flag)"
assert_eq "hyperv: the platform Linux chose (KVM's leaves win)" KVM "$(guest_value hyperv detected)"
assert_contains "hyperv: clocksources" kvm-clock "$(guest_value hyperv clocksources)"
poweroff hyperv

guest_start hyperv-hide "${args[@]}" --hyperv --hypervisor-id hide
guest_wait hyperv-hide '^guest: ready' 1
report hyperv-hide
assert_eq "hyperv-hide: Hypervisor detected" "Microsoft Hyper-V" "$(guest_value hyperv-hide detected)"
assert_contains "hyperv-hide: clocksources" hyperv_clocksource_tsc_page "$(guest_value hyperv-hide clocksources)"
assert_eq "hyperv-hide: CPUID 0x40000000" "Microsoft Hv" "$(guest_value hyperv-hide cpuid-1073741824)"
assert_eq "hyperv-hide: CPUID 0x40000100 (no KVM leaves)" "" "$(guest_value hyperv-hide cpuid-1073742080)"
assert_eq "hyperv-hide: CPUs with the hypervisor flag (Hyper-V needs it)" 2 "$(guest_value hyperv-hide hv-flag)"
# Both vCPUs came up under Hyper-V's platform code (its hypercall page,
# VP index and SynIC on each).
assert_eq "hyperv-hide: online CPUs" 0-1 "$(guest_value hyperv-hide online)"
no_kvm_clock hyperv-hide
poweroff hyperv-hide

guest_start hide "${args[@]}" --hypervisor-id hide
guest_wait hide '^guest: ready' 1
report hide
assert_eq "hide: Hypervisor detected (none)" "" "$(guest_value hide detected)"
assert_eq "hide: CPUs with the hypervisor flag" 0 "$(guest_value hide hv-flag)"
if grep -a 'KVM' "$TMPDIR/hide.log" | grep -q '^guest: cpuid-'; then
	lab_fail "hide: a KVM signature in CPUID: $(grep -a '^guest: cpuid-' "$TMPDIR/hide.log")"
fi
echo "ok: hide: no KVM signature at 0x40000000 or 0x40000100"
no_kvm_clock hide
poweroff hide
