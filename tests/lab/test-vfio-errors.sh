#!/bin/bash
# partvm run refuses what it cannot pass through with one line naming the
# device and the way out, exits non-zero, and leaves every device it had
# touched as it was: a device not on vfio-pci with managed = no; a group
# that is not viable; a group held by another partition (by name) or open
# in another process; a malformed or missing BDF; a DMA map beyond the
# locked-memory limit.
# lab: timeout=1500
. "$(dirname "$0")/vfio-lib.sh"

EDU=$(lab_edu)
SATA=$(lab_pci_find 8086:2922)
SMBUS=$(lab_pci_find 8086:2930)
[ -n "$EDU" ] && [ -n "$SATA" ] && [ -n "$SMBUS" ] || lab_fail "edu or the ICH9 SATA/SMBus functions are missing"
holder= sleeper=
cleanup() {
	lab_kill -9 "$holder"
	lab_kill "$sleeper"
	"$PARTVM" vfio restore --all --force >/dev/null 2>&1 || true
	if [ "$(driver_of "$SMBUS")" = vfio-pci ]; then
		echo "$SMBUS" >/sys/bus/pci/drivers/vfio-pci/unbind
		echo >"/sys/bus/pci/devices/$SMBUS/driver_override"
	fi
	[ "$(driver_of "$SATA")" = ahci ] && echo "$SATA" >/sys/bus/pci/drivers/ahci/unbind
	true
}
trap cleanup EXIT
lab_guest_initrd "$TMPDIR/initrd" "$LAB_DIR/vfio-guest-hold.sh"
edu_before=$(driver_of "$EDU")

# refuse STATUS EXPECTED-REGEX ARGS...: partvm run ARGS fails with STATUS
# and exactly one line of output, matching.
refuse() {
	local want_status=$1 want=$2 status=0 out
	shift 2
	out=$("$PARTVM" run --kernel "$LAB_BZIMAGE" --initrd "$TMPDIR/initrd" -m 256M \
		--append 'console=ttyS0 quiet' "$@" 2>&1 </dev/null) ||
		status=$?
	assert_eq "exit status of partvm run $*" "$want_status" "$status"
	assert_eq "lines of output" 1 "$(printf '%s\n' "$out" | wc -l)"
	assert_match "message" "$want" "$out"
}
edu_untouched() {
	assert_eq "edu's driver" "$edu_before" "$(driver_of "$EDU")"
	[ -z "$(ls /run/partvm/vfio 2>/dev/null)" ] || lab_fail "records left: $(ls /run/partvm/vfio)"
}

# Bad addresses.
refuse 2 "^partvm: --vfio 00:1g\\.0: not a PCI address \\(DDDD:BB:DD\\.F or BB:DD\\.F, e\\.g\\. 0000:00:12\\.0\\)$" \
	--vfio 00:1g.0
printf '[vfio]\ndevice = 0000:00:03\n' >"$TMPDIR/bad.conf"
refuse 2 "^partvm: $TMPDIR/bad\\.conf:2: device = '0000:00:03': not a PCI address" "$TMPDIR/bad.conf"
refuse 1 "^partvm: 0000:00:1e\\.7: no such PCI device; see 'partvm devices' for the PCI devices of this host$" \
	--vfio 0000:00:1e.7 --vfio "$EDU"
edu_untouched

# managed = no on a device the host did not put on vfio-pci.
refuse 1 "^partvm: $EDU \\(.*\\): is not on vfio-pci \\(its driver: none\\) and managed = no; bind it first \\('partvm vfio bind $EDU'\\) or set managed = yes$" \
	--vfio "$EDU,managed=no"
edu_untouched

# A group that is not viable: the SMBus function on vfio-pci, the SATA
# controller of the same group on ahci.
# ahci may be loaded already, with SATA unbound by an earlier test's
# cleanup: then only a probe binds it.
if [ "$(driver_of "$SATA")" != ahci ]; then
	modprobe ahci
	[ -n "$(driver_of "$SATA")" ] || echo "$SATA" >/sys/bus/pci/drivers_probe
fi
for _ in $(seq 100); do [ "$(driver_of "$SATA")" = ahci ] && break; sleep 0.1; done
assert_eq "SATA on" ahci "$(driver_of "$SATA")"
echo vfio-pci >"/sys/bus/pci/devices/$SMBUS/driver_override"
echo "$SMBUS" >/sys/bus/pci/drivers_probe
assert_eq "SMBus on" vfio-pci "$(driver_of "$SMBUS")"
group=$(basename "$(readlink "/sys/bus/pci/devices/$SMBUS/iommu_group")")
refuse 1 "^partvm: $SMBUS \\(.*SMBus.*\\): its IOMMU group $group is not viable: $SATA on ahci; pass those devices through as well \\(on vfio-pci\\), or unbind them first$" \
	--vfio "$SMBUS,managed=no"
# Managed, edu is bound first; the refusal gives it back.
refuse 1 "^partvm: $SMBUS \\(.*\\): its IOMMU group $group would not be viable: it shares it with $SATA .* on ahci; pass those devices through as well, or unbind them first$" \
	--vfio "$EDU" --vfio "$SMBUS"
edu_untouched
refuse 1 "^partvm: $SMBUS \\(.*\\): its IOMMU group $group is not viable: $SATA on ahci; " \
	--vfio "$EDU" --vfio "$SMBUS,managed=no"
edu_untouched

# A group held by another partition, named from its state files.
"$PARTVM" run --name holder --kernel "$LAB_BZIMAGE" --initrd "$TMPDIR/initrd" -m 256M --vfio "$EDU" \
	</dev/null >"$TMPDIR/holder.out" 2>&1 &
holder=$!
for _ in $(seq 900); do
	grep -q "guest: ready" "$TMPDIR/holder.out" && break
	kill -0 "$holder" 2>/dev/null || break
	sleep 0.5
done
grep -q "guest: ready" "$TMPDIR/holder.out" || { cat "$TMPDIR/holder.out"; lab_fail "partition holder did not start"; }
refuse 1 "^partvm: $EDU \\(.*\\): held by partition holder \\(pid $holder\\); stop that partition first, or use another device$" \
	--name intruder --vfio "$EDU"
refuse 1 "^partvm: $EDU \\(.*\\): held by partition holder \\(pid $holder\\); stop that partition first, or use another device$" \
	--name intruder --vfio "$EDU,managed=no"
assert_eq "edu still the holder's" vfio-pci "$(driver_of "$EDU")"
kill -TERM "$holder"
status=0
wait "$holder" || status=$?
holder=
assert_eq "holder's exit status after SIGTERM" 143 "$status"
edu_untouched

# A group open in a process that is no partition.
assert_run "bind edu by hand" "$PARTVM" vfio bind "$EDU"
egroup=$(basename "$(readlink "/sys/bus/pci/devices/$EDU/iommu_group")")
sleep 300 3<>"/dev/vfio/$egroup" &
sleeper=$!
sleep 1
refuse 1 "^partvm: $EDU \\(.*\\): its IOMMU group $egroup is open in process $sleeper \\(sleep\\), which is not a partvm partition; stop it first$" \
	--vfio "$EDU,managed=no"
kill "$sleeper"
wait "$sleeper" 2>/dev/null || true
sleeper=
assert_run "unbind edu" "$PARTVM" vfio unbind "$EDU"
edu_untouched

# The DMA map fails beyond the locked-memory limit (without CAP_IPC_LOCK);
# edu, bound for the start, goes back.
status=0
out=$(setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock -- sh -c 'ulimit -l 1024; exec "$@"' sh \
	"$PARTVM" run --kernel "$LAB_BZIMAGE" --initrd "$TMPDIR/initrd" -m 256M --vfio "$EDU" \
	--append 'console=ttyS0 quiet' 2>&1 </dev/null) ||
	status=$?
echo "$out"
assert_eq "exit status of a failed DMA map" 1 "$status"
assert_match "DMA map failure" "^partvm: vfio: cannot map 256 MiB of guest RAM at 0x0 for device DMA: Cannot allocate memory; use memory-backing = hugetlb, or raise the locked-memory limit \\(ulimit -l, LimitMEMLOCK=\\) to the guest's memory size$" \
	"$(printf '%s\n' "$out" | grep 'cannot map')"
assert_eq "lines besides the restore" 1 "$(printf '%s\n' "$out" | grep -vc 'given back' || true)"
edu_untouched
echo "PASS: refusals"
